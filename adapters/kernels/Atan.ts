// Atan: dy = dx / (1 + x²).
import * as tf from "@tensorflow/tfjs";
import { unary } from "./_families.ts";
export const Atan = unary((x) => tf.reciprocal(tf.add(1, tf.square(x))));
