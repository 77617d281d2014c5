// Prelu(x, alpha), alpha broadcast to x: dy = (x > 0 ? 1 : alpha)·dx + (x > 0 ? 0 : x)·bcast(dalpha).
import * as tf from "@tensorflow/tfjs";
import { binary } from "./_families.ts";

export const Prelu = binary((x, alpha) => {
  const pos = tf.greater(x, 0);
  return [tf.where(pos, tf.onesLike(x), alpha), tf.where(pos, tf.zerosLike(x), x)];
}, ["x", "alpha"]);
