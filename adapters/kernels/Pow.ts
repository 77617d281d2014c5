// Pow(a, b) = aᵇ: dy = b·a^(b−1)·da + y·log(a)·db, where tfjs takes log(a) as 0 for a ≤ 0.
// Coefficients in float32, as tfjs (int32 inputs get tangents through a straight-through Cast).
import * as tf from "@tensorflow/tfjs";
import { binary } from "./_families.ts";

export const Pow = binary((a, b, y) => {
  const [af, bf] = [tf.cast(a, "float32"), tf.cast(b, "float32")];
  const logA = tf.where(tf.greater(af, 0), tf.log(af), tf.zerosLike(af));
  return [tf.mul(bf, tf.pow(af, tf.sub(bf, 1))), tf.mul(tf.cast(y, "float32"), logA)];
});
