// SquaredDifference(a, b) = (a − b)²: dy = 2(a − b)·(da − db).
import * as tf from "@tensorflow/tfjs";
import { binary } from "./_families.ts";

export const SquaredDifference = binary((a, b) => {
  const twice = tf.mul(tf.sub(a, b), 2);
  return [twice, tf.neg(twice)];
});
