// FloorDiv(a, b) = floor(a / b). Its derivative is zero, but tfjs's gradient is RealDiv's
// (straight-through): dy = da / b − (a / b²)·db. We follow tfjs, the oracle.
import * as tf from "@tensorflow/tfjs";
import { binary } from "./_families.ts";

export const FloorDiv = binary((a, b) => {
  const [af, bf] = [tf.cast(a, "float32"), tf.cast(b, "float32")];
  return [tf.reciprocal(bf), tf.neg(tf.div(af, tf.square(bf)))];
});
