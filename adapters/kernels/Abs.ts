// Abs: dy = dx · (x > 0 ? 1 : −1) — tfjs's step(x, −1), so Abs′(0) = −1 (not sign(0) = 0).
import * as tf from "@tensorflow/tfjs";
import { unary } from "./_families.ts";
export const Abs = unary((x) => tf.step(x, -1));
