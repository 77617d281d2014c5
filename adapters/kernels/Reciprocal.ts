// Reciprocal: y = 1/x, dy = −y² · dx.
import * as tf from "@tensorflow/tfjs";
import { unary } from "./_families.ts";
export const Reciprocal = unary((_x, y) => tf.neg(tf.square(y)));
