// Log: dy = dx / x.
import * as tf from "@tensorflow/tfjs";
import { unary } from "./_families.ts";
export const Log = unary((x) => tf.reciprocal(x));
