// Acosh: dy = dx / √(x² − 1).
import * as tf from "@tensorflow/tfjs";
import { unary } from "./_families.ts";
export const Acosh = unary((x) => tf.rsqrt(tf.sub(tf.square(x), 1)));
