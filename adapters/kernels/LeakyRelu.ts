// LeakyRelu(x; alpha): dy = dx · (x > 0 ? 1 : alpha).
import * as tf from "@tensorflow/tfjs";
import type { LeakyReluAttrs } from "@tensorflow/tfjs";
import { unary } from "./_families.ts";
export const LeakyRelu = unary<LeakyReluAttrs>((x, _y, k) =>
  tf.where(tf.greater(x, 0), tf.onesLike(x), tf.fill(x.shape, k.attrs.alpha))
);
