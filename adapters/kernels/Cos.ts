// Cos: dy = −sin(x) · dx.
import * as tf from "@tensorflow/tfjs";
import { unary } from "./_families.ts";
export const Cos = unary((x) => tf.neg(tf.sin(x)));
