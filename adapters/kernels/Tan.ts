// Tan: dy = dx / cos²(x).
import * as tf from "@tensorflow/tfjs";
import { unary } from "./_families.ts";
export const Tan = unary((x) => tf.reciprocal(tf.square(tf.cos(x))));
