// Zero padding with interior (dilation) and negative (cropping) edges, and its transpose.
// Shared by `pad`, `slice` (whose transpose is a pad) and the convolution helpers.
import * as tf from "@tensorflow/tfjs";
import { padB, sliceB, stridedSliceB } from "../src/core/tensor_ops.ts";

export type PadConfig = [lo: number, hi: number, interior: number][];

/** Inserts `interior` zeros between entries along `axis`. */
export function dilate(t: tf.Tensor, axis: number, interior: number): tf.Tensor {
  if (interior === 0 || t.shape[axis] === 0) return t;
  const s = t.shape;
  const n = s[axis];
  const x = tf.reshape(t, [...s.slice(0, axis), n, 1, ...s.slice(axis + 1)]);
  const widths = x.shape.map((_, i) => (i === axis + 1 ? [0, interior] : [0, 0]) as [number, number]);
  const padded = tf.reshape(padB(x, widths), [...s.slice(0, axis), n * (interior + 1), ...s.slice(axis + 1)]);
  const begin = s.map(() => 0);
  const size = [...s.slice(0, axis), n * (interior + 1) - interior, ...s.slice(axis + 1)];
  return sliceB(padded, begin, size);
}

/** Pads the last `config.length` axes of `t` (earlier axes are lead axes). */
export function padLead(t: tf.Tensor, config: PadConfig): tf.Tensor {
  const lead = t.rank - config.length;
  let x = t;
  config.forEach(([, , interior], k) => (x = dilate(x, lead + k, interior)));
  const pos = x.shape.map((_, i) =>
    (i < lead ? [0, 0] : [Math.max(config[i - lead][0], 0), Math.max(config[i - lead][1], 0)]) as [number, number]
  );
  if (pos.some(([a, b]) => a > 0 || b > 0)) x = padB(x, pos);
  if (config.some(([lo, hi]) => lo < 0 || hi < 0)) {
    const begin = x.shape.map((_, i) => (i < lead ? 0 : Math.max(-config[i - lead][0], 0)));
    const size = x.shape.map((s, i) =>
      i < lead ? s : s - Math.max(-config[i - lead][0], 0) - Math.max(-config[i - lead][1], 0)
    );
    x = sliceB(x, begin, size);
  }
  return x === t ? tf.clone(t) : x; // callers own the result
}

/** The transpose of `padLead`: crops the padding and drops the interior zeros. */
export function unpadLead(ct: tf.Tensor, config: PadConfig, operand: readonly number[]): tf.Tensor {
  const lead = ct.rank - config.length;
  // Undo the edges: pad back what was cropped, then crop what was padded.
  let x = ct;
  const neg = x.shape.map((_, i) =>
    (i < lead ? [0, 0] : [Math.max(-config[i - lead][0], 0), Math.max(-config[i - lead][1], 0)]) as [number, number]
  );
  if (neg.some(([a, b]) => a > 0 || b > 0)) x = padB(x, neg);
  const dilated = operand.map((s, k) => (s === 0 ? 0 : s + (s - 1) * config[k][2]));
  const begin = x.shape.map((_, i) => (i < lead ? 0 : Math.max(config[i - lead][0], 0)));
  const size = x.shape.map((s, i) => (i < lead ? s : dilated[i - lead]));
  x = sliceB(x, begin, size);
  if (config.some(([, , interior]) => interior > 0)) {
    const end = x.shape.slice();
    const strides = x.shape.map((_, i) => (i < lead ? 1 : config[i - lead][2] + 1));
    x = stridedSliceB(x, x.shape.map(() => 0), end, strides);
  }
  return x === ct ? tf.clone(ct) : x;
}
