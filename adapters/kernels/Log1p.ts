// Log1p: dy = dx / (1 + x).
import * as tf from "@tensorflow/tfjs";
import { unary } from "./_families.ts";
export const Log1p = unary((x) => tf.reciprocal(tf.add(x, 1)));
