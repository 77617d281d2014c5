// Expm1: dy = exp(x) · dx = (y + 1) · dx.
import * as tf from "@tensorflow/tfjs";
import { unary } from "./_families.ts";
export const Expm1 = unary((_x, y) => tf.add(y, 1));
