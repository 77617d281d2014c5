// Elu: dy = dx · (y ≥ 0 ? 1 : y + 1), tfjs's EluGrad convention (from the output y).
import * as tf from "@tensorflow/tfjs";
import { unary } from "./_families.ts";
export const Elu = unary((_x, y) => tf.where(tf.greaterEqual(y, 0), tf.onesLike(y), tf.add(y, 1)));
