// Atan2(a, b) = atan(a / b): dy = (b·da − a·db) / (a² + b²).
import * as tf from "@tensorflow/tfjs";
import { binary } from "./_families.ts";

export const Atan2 = binary((a, b) => {
  const r2 = tf.add(tf.square(a), tf.square(b));
  return [tf.div(b, r2), tf.neg(tf.div(a, r2))];
});
