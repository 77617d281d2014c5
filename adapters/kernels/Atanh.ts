// Atanh: dy = dx / (1 − x²).
import * as tf from "@tensorflow/tfjs";
import { unary } from "./_families.ts";
export const Atanh = unary((x) => tf.reciprocal(tf.sub(1, tf.square(x))));
