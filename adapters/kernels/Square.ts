// Square: dy = 2x · dx.
import * as tf from "@tensorflow/tfjs";
import { unary } from "./_families.ts";
export const Square = unary((x) => tf.mul(x, 2));
