// ClipByValue(x; clipValueMin, clipValueMax): dy = dx · [min ≤ x ≤ max] (tfjs: 1 at the bounds).
import * as tf from "@tensorflow/tfjs";
import type { ClipByValueAttrs } from "@tensorflow/tfjs";
import { mask, unary } from "./_families.ts";
export const ClipByValue = unary<ClipByValueAttrs>((x, _y, k) =>
  mask(
    tf.logicalAnd(tf.greaterEqual(x, k.attrs.clipValueMin), tf.lessEqual(x, k.attrs.clipValueMax)),
  )
);
