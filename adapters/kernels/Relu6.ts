// Relu6: dy = dx · [0 < x ≤ 6] (tfjs: 0 at x = 0, 1 at x = 6).
import * as tf from "@tensorflow/tfjs";
import { mask, unary } from "./_families.ts";
export const Relu6 = unary((x) => mask(tf.logicalAnd(tf.greater(x, 0), tf.lessEqual(x, 6))));
