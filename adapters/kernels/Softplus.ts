// Softplus: y = log(1 + eˣ), dy = sigmoid(x) · dx.
import * as tf from "@tensorflow/tfjs";
import { unary } from "./_families.ts";
export const Softplus = unary((x) => tf.sigmoid(x));
