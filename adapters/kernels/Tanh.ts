// Tanh: dy = dx · (1 − y²).
import * as tf from "@tensorflow/tfjs";
import { unary } from "./_families.ts";
export const Tanh = unary((_x, y) => tf.sub(1, tf.square(y)));
