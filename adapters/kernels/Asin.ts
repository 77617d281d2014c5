// Asin: dy = dx / √(1 − x²).
import * as tf from "@tensorflow/tfjs";
import { unary } from "./_families.ts";
export const Asin = unary((x) => tf.rsqrt(tf.sub(1, tf.square(x))));
