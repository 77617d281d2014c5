// Sqrt: dy = dx / (2y).
import * as tf from "@tensorflow/tfjs";
import { unary } from "./_families.ts";
export const Sqrt = unary((_x, y) => tf.div(0.5, y));
