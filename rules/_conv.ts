// Windowed access for convolutions and window sums, channels-last `[B, ...spatial, C]`:
// window slices (im2col), their transpose (col2im), and tfjs fast paths where tfjs has a
// kernel for the case on every backend.
import * as tf from "@tensorflow/tfjs";
import type { Padding } from "../src/core/ir.ts";
import { type PadConfig, padLead, unpadLead } from "./_pad.ts";
import { addAll, reverseB } from "../src/core/tensor_ops.ts";
import { windowOffsets } from "../src/core/axes.ts";

export interface WindowSpec {
  window: number[];
  strides: number[];
  padding: Padding;
  lhsDilation: number[];
  rhsDilation: number[];
}

/** Size of each spatial axis after lhs dilation and padding. */
export function paddedSpatial(spatial: readonly number[], w: WindowSpec): number[] {
  return spatial.map((s, i) => (s - 1) * w.lhsDilation[i] + 1 + w.padding[i][0] + w.padding[i][1]);
}

/** Output spatial sizes. */
export function outSpatial(spatial: readonly number[], w: WindowSpec): number[] {
  return paddedSpatial(spatial, w).map((p, i) => {
    const eff = (w.window[i] - 1) * w.rhsDilation[i] + 1;
    return Math.max(0, Math.floor((p - eff) / w.strides[i]) + 1);
  });
}

function edgeConfig(w: WindowSpec): PadConfig {
  return [...w.padding.map(([lo, hi], i) => [lo, hi, w.lhsDilation[i] - 1] as [number, number, number]), [0, 0, 0]];
}

/** One `[B, ...out, C]` slice per window offset (row-major): the im2col columns. */
export function windowSlices(x: tf.Tensor, w: WindowSpec): tf.Tensor[] {
  const spatial = x.shape.slice(1, -1);
  const out = outSpatial(spatial, w);
  const xp = padLead(x, edgeConfig(w));
  const [b, c] = [x.shape[0], x.shape[x.rank - 1]];
  return windowOffsets(w.window).map((off) => {
    const begin = [0, ...off.map((o, i) => o * w.rhsDilation[i]), 0];
    const end = [b, ...off.map((o, i) => o * w.rhsDilation[i] + (out[i] - 1) * w.strides[i] + 1), c];
    return tf.stridedSlice(xp, begin, end, [1, ...w.strides, 1]);
  });
}

/** Patches `[B, ...out, K, C]`, K the window size in row-major offset order. */
export function patches(x: tf.Tensor, w: WindowSpec): tf.Tensor {
  const d = x.rank - 2;
  return tf.stack(windowSlices(x, w), d + 1);
}

/**
 * The transpose of `windowSlices`: adds each `[B, ...out, C]` part back at its window's
 * positions and crops to `[B, ...spatial, C]`.
 */
export function addWindows(parts: tf.Tensor[], w: WindowSpec, spatial: readonly number[]): tf.Tensor {
  const padded = paddedSpatial(spatial, w);
  const out = parts[0].shape.slice(1, -1);
  const placed = windowOffsets(w.window).map((off, k) => {
    const cfg: PadConfig = [
      ...off.map((o, i): [number, number, number] => {
        const lo = o * w.rhsDilation[i];
        const last = out[i] === 0 ? lo - 1 : lo + (out[i] - 1) * w.strides[i];
        return [lo, padded[i] - 1 - last, w.strides[i] - 1];
      }),
      [0, 0, 0],
    ];
    return padLead(parts[k], cfg);
  });
  const sum = addAll(placed);
  const c = parts[0].shape[parts[0].rank - 1];
  return unpadLead(sum, edgeConfig(w), [...spatial, c]);
}

/** The transpose of `patches`. */
export function addPatches(p: tf.Tensor, w: WindowSpec, spatial: readonly number[]): tf.Tensor {
  const d = spatial.length;
  return addWindows(tf.unstack(p, d + 1), w, spatial);
}

const bothAboveOne = (a: number[], b: number[]) => a.some((x) => x > 1) && b.some((x) => x > 1);

/** Pads and lhs-dilates x so that a 'valid', undilated-input convolution follows. */
function prePad(x: tf.Tensor, w: WindowSpec): tf.Tensor {
  return padLead(x, edgeConfig(w));
}

/**
 * The convolution by a tfjs kernel, or null when tfjs has none for this case on every backend
 * (then callers use patches). `f` is `[...window, C/G, O]`.
 */
export function tfConv(x: tf.Tensor, f: tf.Tensor, w: WindowSpec, groups: number): tf.Tensor | null {
  const d = x.rank - 2;
  const cin = x.shape[x.rank - 1];
  const xp = prePad(x, w);
  const strides = w.strides, dil = w.rhsDilation;
  if (bothAboveOne(strides, dil)) return null;
  if (d === 1) {
    const x2 = tf.expandDims(xp, 1);
    const f2 = tf.expandDims(f, 0);
    const w2: WindowSpec = {
      window: [1, ...w.window],
      strides: [1, ...strides],
      padding: [[0, 0], [0, 0]],
      lhsDilation: [1, 1],
      rhsDilation: [1, ...dil],
    };
    const y = tfConv(x2, f2, w2, groups);
    return y && tf.squeeze(y, [1]);
  }
  if (groups === 1) {
    if (d === 2) {
      return tf.conv2d(
        xp as tf.Tensor4D,
        f as tf.Tensor4D,
        strides as [number, number],
        "valid",
        "NHWC",
        dil as [number, number],
      );
    }
    if (d === 3 && dil.every((v) => v === 1)) {
      return tf.conv3d(xp as tf.Tensor5D, f as tf.Tensor5D, strides as [number, number, number], "valid");
    }
    return null;
  }
  if (d === 2 && groups === cin && f.shape[2] === 1) {
    const fs = f.shape as number[];
    const fd = tf.reshape(f, [fs[0], fs[1], cin, fs[3] / cin]) as tf.Tensor4D;
    return tf.depthwiseConv2d(
      xp as tf.Tensor4D,
      fd,
      strides as [number, number],
      "valid",
      "NHWC",
      dil as [number, number],
    );
  }
  return null;
}

/** The transpose of the convolution w.r.t. its input by a tfjs kernel, or null. */
export function tfConvTransposeInput(
  ct: tf.Tensor,
  f: tf.Tensor,
  w: WindowSpec,
  groups: number,
  inputShape: number[],
): tf.Tensor | null {
  const d = ct.rank - 2;
  const simple = groups === 1 && w.rhsDilation.every((v) => v === 1) && w.lhsDilation.every((v) => v === 1) &&
    w.padding.every(([lo, hi]) => lo >= 0 && hi >= 0);
  if (!simple) return null;
  if (d === 1) {
    const y = tfConvTransposeInput(
      tf.expandDims(ct, 1),
      tf.expandDims(f, 0),
      {
        ...w,
        window: [1, ...w.window],
        strides: [1, ...w.strides],
        padding: [[0, 0], ...w.padding],
        lhsDilation: [1, 1],
        rhsDilation: [1, 1],
      },
      groups,
      [inputShape[0], 1, ...inputShape.slice(1)],
    );
    return y && tf.squeeze(y, [1]);
  }
  if (d !== 2) return null;
  const pad = [[0, 0], w.padding[0], w.padding[1], [0, 0]] as [number, number][];
  return tf.conv2dTranspose(
    ct as tf.Tensor4D,
    f as tf.Tensor4D,
    inputShape as [number, number, number, number],
    w.strides as [number, number],
    pad as unknown as "valid",
  );
}

/**
 * The geometry and filter of the convolution that is the transpose of `w` w.r.t. its input:
 * the cotangent dilated by the strides, correlated with the spatially reversed filter (input
 * and output channels swapped per group), strided by the input's dilation. A plain forward
 * convolution runs far faster than tfjs's backprop-input kernels (11× on wasm).
 */
export function transposedConv(
  f: tf.Tensor,
  w: WindowSpec,
  groups: number,
  spatial: readonly number[],
  outSpatial: readonly number[],
  keep: (make: () => tf.Tensor) => tf.Tensor,
): { filter: tf.Tensor; spec: WindowSpec } {
  const d = w.window.length;
  const fs = f.shape as number[];
  const [ci, cout] = [fs[d], fs[d + 1]];
  const co = cout / groups;
  const padding = w.window.map((k, i): [number, number] => {
    const keff = (k - 1) * w.rhsDilation[i] + 1;
    const lo = keff - 1 - w.padding[i][0];
    const hi = (spatial[i] - 1) * w.lhsDilation[i] - (outSpatial[i] - 1) * w.strides[i] - 1 - lo + keff;
    return [lo, hi];
  });
  const filter = keep(() => {
    const g = tf.reshape(f, [...fs.slice(0, d), ci, groups, co]);
    const swapped = tf.transpose(g, [...Array.from({ length: d }, (_, i) => i), d + 2, d + 1, d]);
    return reverseB(
      tf.reshape(swapped, [...fs.slice(0, d), co, groups * ci]),
      Array.from({ length: d }, (_, i) => i),
    );
  });
  return {
    filter,
    spec: { window: w.window, strides: w.lhsDilation, padding, lhsDilation: w.strides, rhsDilation: w.rhsDilation },
  };
}
