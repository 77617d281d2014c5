// Rsqrt: y = x^(−1/2), dy = −y³/2 · dx.
import * as tf from "@tensorflow/tfjs";
import { unary } from "./_families.ts";
export const Rsqrt = unary((_x, y) => tf.mul(tf.mul(y, tf.square(y)), -0.5));
