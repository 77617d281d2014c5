// Sigmoid: dy = dx · y(1 − y).
import * as tf from "@tensorflow/tfjs";
import { unary } from "./_families.ts";
export const Sigmoid = unary((_x, y) => tf.mul(y, tf.sub(1, y)));
