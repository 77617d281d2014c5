// Kernel cases of the conv family. Where tfjs 4.22's own gradient is missing or wrong, a
// `reference` writes the same function from differentiable ops (see each comment).
import * as tf from "@tensorflow/tfjs";
import type { KernelCase } from "../_harness.ts";
import { awayFromZero, ints, randn } from "../../_data.ts";

type T4 = tf.Tensor4D;
type T5 = tf.Tensor5D;

// ---- reference helpers (plain tfjs ops with working gradients) ---------------------------

/** Inserts `rate − 1` zeros between entries along `axis`. */
function dilate(t: tf.Tensor, axis: number, rate: number): tf.Tensor {
  if (rate === 1) return t;
  const s = t.shape, n = s[axis];
  const x = tf.reshape(t, [...s.slice(0, axis), n, 1, ...s.slice(axis + 1)]);
  const padded = tf.pad(x, x.shape.map((_, i) => (i === axis + 1 ? [0, rate - 1] : [0, 0]) as [number, number]));
  const long = tf.reshape(padded, [...s.slice(0, axis), n * rate, ...s.slice(axis + 1)]);
  return tf.slice(long, s.map(() => 0), [...s.slice(0, axis), (n - 1) * rate + 1, ...s.slice(axis + 1)]);
}

/** A filter `[...window, ci, co]` with its window dilated: the same conv without dilations. */
function dilateFilter(f: tf.Tensor, rates: number[]): tf.Tensor {
  return rates.reduce((t, r, i) => dilate(t, i, r), f);
}

/** Entry j of `t` along `axis` placed at `start + j·stride` of a zero axis of length `size`. */
function place(t: tf.Tensor, axis: number, start: number, stride: number, size: number): tf.Tensor {
  const u = dilate(t, axis, stride);
  const before = start, after = size - start - u.shape[axis];
  const widths = u.shape.map((_, i) =>
    (i === axis ? [Math.max(before, 0), Math.max(after, 0)] : [0, 0]) as [number, number]
  );
  const p = tf.pad(u, widths);
  const begin = p.shape.map((_, i) => (i === axis ? Math.max(-before, 0) : 0));
  return tf.slice(p, begin, p.shape.map((s, i) => (i === axis ? size : s)));
}

/** Row-major offsets of a window. */
function offsets(window: number[]): number[][] {
  let acc: number[][] = [[]];
  for (const k of window) acc = acc.flatMap((o) => Array.from({ length: k }, (_, i) => [...o, i]));
  return acc;
}

/**
 * The transposed convolution from its definition, scatter-style:
 * out[n, o·s − lo + k, ci] += dy[n, o, co]·f[k, ci, co].
 */
function transposedConv(dy: tf.Tensor, f: tf.Tensor, inSpatial: number[], strides: number[], lo: number[]): tf.Tensor {
  const d = inSpatial.length;
  const [ci, co] = f.shape.slice(d);
  const parts = offsets(f.shape.slice(0, d)).map((off) => {
    const fk = tf.reshape(tf.slice(f, [...off, 0, 0], [...off.map(() => 1), ci, co]), [ci, co]);
    let t = tf.reshape(tf.matMul(tf.reshape(dy, [-1, co]), fk, false, true), [...dy.shape.slice(0, d + 1), ci]);
    off.forEach((k, i) => (t = place(t, i + 1, k - lo[i], strides[i], inSpatial[i])));
    return t;
  });
  return tf.addN(parts);
}

/**
 * Channels-last window sums over zero padding `pads`, `out` windows per axis, by gathers (tfjs
 * has no StridedSlice gradient).
 */
function windowSum(
  x: tf.Tensor,
  window: number[],
  strides: number[],
  pads: [number, number][],
  out: number[],
): tf.Tensor {
  const xp = tf.pad(x, [[0, 0], ...pads, [0, 0]]);
  const parts = offsets(window).map((off) =>
    off.reduce((t, o, i) => {
      const at = tf.tensor1d(Array.from({ length: out[i] }, (_, j) => o + j * strides[i]), "int32");
      return tf.gather(t, at, i + 1);
    }, xp)
  );
  return tf.addN(parts);
}

/**
 * Average pooling as tfjs's kernels compute it (divided by each window's in-bounds count): its
 * gradient in tfjs 4.22 divides by the full window size, wrong for windows over the padding.
 */
function avgPoolRef(x: tf.Tensor, window: number[], strides: number[], pad: "same" | "valid"): tf.Tensor {
  const d = window.length;
  const info = d === 2
    ? tf.backend_util.computePool2DInfo(
      x.shape as [number, number, number, number],
      window as [number, number],
      strides as [number, number],
      1,
      pad,
    )
    : tf.backend_util.computePool3DInfo(
      x.shape as [number, number, number, number, number],
      window as [number, number, number],
      strides as [number, number, number],
      1,
      pad,
    );
  const p = info.padInfo as { top: number; bottom: number; left: number; right: number; front?: number; back?: number };
  const pads: [number, number][] = d === 2
    ? [[p.top, p.bottom], [p.left, p.right]]
    : [[p.front!, p.back!], [p.top, p.bottom], [p.left, p.right]];
  const out = info.outShape.slice(1, -1);
  const counts = windowSum(tf.onesLike(x), window, strides, pads, out);
  return tf.div(windowSum(x, window, strides, pads, out), counts);
}

/** Float values from {0, 1, 2}: deliberate ties for max pooling's tie convention. */
const tied = (shape: number[], seed: number) => tf.tidy(() => tf.cast(ints(shape, 3, seed), "float32"));

// ---- cases ------------------------------------------------------------------------------

const conv2d: KernelCase[] = [
  {
    kernel: "Conv2D",
    variant: "same",
    params: () => ({ x: randn([2, 5, 4, 3], 1), f: randn([3, 2, 3, 4], 2, 0.5) }),
    fn: (p) => tf.conv2d(p.x as T4, p.f as T4, 1, "same"),
  },
  {
    kernel: "Conv2D",
    variant: "valid, strides [2,1]",
    params: () => ({ x: randn([2, 7, 6, 3], 1), f: randn([3, 2, 3, 4], 2, 0.5) }),
    fn: (p) => tf.conv2d(p.x as T4, p.f as T4, [2, 1], "valid"),
  },
  {
    kernel: "Conv2D",
    variant: "explicit pad, strides [1,2]",
    params: () => ({ x: randn([2, 5, 6, 2], 1), f: randn([2, 3, 2, 3], 2, 0.5) }),
    fn: (p) => tf.conv2d(p.x as T4, p.f as T4, [1, 2], [[0, 0], [1, 2], [0, 1], [0, 0]]),
  },
  {
    kernel: "Conv2D",
    variant: "dilations [2,1], same",
    params: () => ({ x: randn([2, 6, 5, 3], 1), f: randn([2, 3, 3, 2], 2, 0.5) }),
    fn: (p) => tf.conv2d(p.x as T4, p.f as T4, 1, "same", "NHWC", [2, 1]),
    // tfjs 4.22 has no gradient for dilated Conv2D: the same conv by the zero-dilated filter.
    reference: (p) => tf.conv2d(p.x as T4, dilateFilter(p.f, [2, 1]) as T4, 1, "same"),
  },
  {
    kernel: "Conv2D",
    variant: "numeric pad, dimRoundingMode ceil, strides 2",
    params: () => ({ x: randn([2, 6, 6, 2], 1), f: randn([3, 3, 2, 3], 2, 0.5) }),
    fn: (p) => tf.conv2d(p.x as T4, p.f as T4, 2, 1, "NHWC", 1, "ceil"),
    // tfjs's Conv2D gradient drops dimRoundingMode (truncates to 3 rows, not 4): the same
    // windows as an explicit pad.
    reference: (p) => tf.conv2d(p.x as T4, p.f as T4, 2, [[0, 0], [1, 2], [1, 2], [0, 0]]),
  },
  {
    kernel: "Conv2D",
    variant: "NCHW, same, strides 2",
    params: () => ({ x: randn([2, 3, 5, 4], 1), f: randn([3, 2, 3, 2], 2, 0.5) }),
    fn: (p) => tf.conv2d(p.x as T4, p.f as T4, 2, "same", "NCHW"),
    // tfjs-wasm's Conv2D rejects dataFormat NCHW.
    backends: ["cpu", "webgpu"],
  },
];

const fusedConv2d: KernelCase[] = [
  {
    kernel: "FusedConv2D",
    variant: "bias + relu, same",
    params: () => ({ x: randn([2, 5, 4, 3], 1), f: randn([3, 2, 3, 4], 2, 0.5), b: randn([4], 3) }),
    fn: (p) =>
      tf.fused.conv2d({ x: p.x as T4, filter: p.f as T4, strides: 1, pad: "same", bias: p.b, activation: "relu" }),
  },
  {
    kernel: "FusedConv2D",
    variant: "linear, no bias, valid, strides 2",
    params: () => ({ x: randn([2, 7, 6, 3], 1), f: randn([3, 2, 3, 4], 2, 0.5) }),
    fn: (p) => tf.fused.conv2d({ x: p.x as T4, filter: p.f as T4, strides: 2, pad: "valid" }),
  },
  {
    kernel: "FusedConv2D",
    variant: "bias + prelu",
    params: () => ({
      x: randn([2, 5, 4, 3], 1),
      f: randn([3, 2, 3, 4], 2, 0.5),
      b: randn([4], 3),
      a: randn([4], 4, 0.3),
    }),
    fn: (p) =>
      tf.fused.conv2d({
        x: p.x as T4,
        filter: p.f as T4,
        strides: 1,
        pad: "same",
        bias: p.b,
        activation: "prelu",
        preluActivationWeights: p.a,
      }),
  },
  {
    kernel: "FusedConv2D",
    variant: "leakyrelu, explicit pad",
    params: () => ({ x: randn([2, 5, 4, 3], 1), f: randn([2, 2, 3, 4], 2, 0.5), b: randn([4], 3) }),
    fn: (p) =>
      tf.fused.conv2d({
        x: p.x as T4,
        filter: p.f as T4,
        strides: 1,
        pad: [[0, 0], [0, 1], [1, 1], [0, 0]],
        bias: p.b,
        activation: "leakyrelu",
        leakyreluAlpha: 0.3,
      }),
  },
  {
    kernel: "FusedConv2D",
    variant: "relu6, dilations 2",
    params: () => ({ x: randn([2, 6, 5, 3], 1, 2), f: randn([2, 2, 3, 4], 2), b: randn([4], 3) }),
    fn: (p) =>
      tf.fused.conv2d({
        x: p.x as T4,
        filter: p.f as T4,
        strides: 1,
        pad: "same",
        dilations: 2,
        bias: p.b,
        activation: "relu6",
      }),
    // No gradient for dilated convolutions in tfjs 4.22: the zero-dilated filter, unfused.
    reference: (p) => tf.relu6(tf.add(tf.conv2d(p.x as T4, dilateFilter(p.f, [2, 2]) as T4, 1, "same"), p.b)),
  },
  {
    kernel: "FusedConv2D",
    variant: "NCHW, bias + prelu",
    params: () => ({
      x: randn([2, 3, 5, 4], 1),
      f: randn([3, 2, 3, 2], 2, 0.5),
      b: randn([2], 3),
      a: randn([2], 4, 0.3),
    }),
    fn: (p) =>
      tf.fused.conv2d({
        x: p.x as T4,
        filter: p.f as T4,
        strides: 1,
        pad: "same",
        dataFormat: "NCHW",
        bias: p.b,
        activation: "prelu",
        preluActivationWeights: p.a,
      }),
    // tfjs's fused gradient supports only NHWC: unfused, with the 1-D bias and weights on
    // the channel axis as the kernel applies them.
    reference: (p) =>
      tf.prelu(
        tf.add(tf.conv2d(p.x as T4, p.f as T4, 1, "same", "NCHW"), tf.reshape(p.b, [2, 1, 1])),
        tf.reshape(p.a, [2, 1, 1]),
      ),
    // tfjs-wasm's FusedConv2D rejects dataFormat NCHW.
    backends: ["cpu", "webgpu"],
  },
];

const depthwise: KernelCase[] = [
  {
    kernel: "DepthwiseConv2dNative",
    variant: "same, multiplier 2",
    params: () => ({ x: randn([2, 5, 4, 3], 1), f: randn([3, 2, 3, 2], 2, 0.5) }),
    fn: (p) => tf.depthwiseConv2d(p.x as T4, p.f as T4, 1, "same"),
  },
  {
    kernel: "DepthwiseConv2dNative",
    variant: "valid, strides 2, multiplier 1",
    params: () => ({ x: randn([2, 7, 6, 3], 1), f: randn([3, 2, 3, 1], 2, 0.5) }),
    fn: (p) => tf.depthwiseConv2d(p.x as T4, p.f as T4, 2, "valid"),
  },
  {
    kernel: "DepthwiseConv2dNative",
    variant: "explicit pad, strides [1,2]",
    params: () => ({ x: randn([2, 5, 6, 2], 1), f: randn([2, 3, 2, 3], 2, 0.5) }),
    fn: (p) => tf.depthwiseConv2d(p.x as T4, p.f as T4, [1, 2], [[0, 0], [2, 0], [1, 1], [0, 0]]),
  },
  {
    kernel: "DepthwiseConv2dNative",
    variant: "dilations [1,2], same",
    params: () => ({ x: randn([2, 5, 6, 3], 1), f: randn([2, 2, 3, 2], 2, 0.5) }),
    fn: (p) => tf.depthwiseConv2d(p.x as T4, p.f as T4, 1, "same", "NHWC", [1, 2]),
    // No gradient for dilated depthwise convolutions in tfjs 4.22: the zero-dilated filter.
    reference: (p) => tf.depthwiseConv2d(p.x as T4, dilateFilter(p.f, [1, 2]) as T4, 1, "same"),
  },
  {
    kernel: "DepthwiseConv2dNative",
    variant: "NCHW",
    params: () => ({ x: randn([2, 3, 5, 4], 1), f: randn([3, 2, 3, 2], 2, 0.5) }),
    fn: (p) => tf.depthwiseConv2d(p.x as T4, p.f as T4, 1, "same", "NCHW"),
    // tfjs's cpu and wasm kernels ignore dataFormat NCHW (they compute as NHWC; our rule then
    // refuses the output shape): webgpu only, against NHWC between transposes.
    reference: (p) =>
      tf.transpose(tf.depthwiseConv2d(tf.transpose(p.x, [0, 2, 3, 1]) as T4, p.f as T4, 1, "same"), [0, 3, 1, 2]),
    backends: ["webgpu"],
  },
];

const fusedDepthwise: KernelCase[] = [
  {
    kernel: "FusedDepthwiseConv2D",
    variant: "bias + relu6, multiplier 2",
    params: () => ({ x: randn([2, 5, 4, 3], 1, 2), f: randn([3, 2, 3, 2], 2), b: randn([6], 3) }),
    fn: (p) =>
      tf.fused.depthwiseConv2d({
        x: p.x as T4,
        filter: p.f as T4,
        strides: 1,
        pad: "same",
        bias: p.b,
        activation: "relu6",
      }),
  },
  {
    kernel: "FusedDepthwiseConv2D",
    variant: "prelu, valid, strides 2",
    params: () => ({
      x: randn([2, 7, 6, 3], 1),
      f: randn([3, 2, 3, 1], 2, 0.5),
      b: randn([3], 3),
      a: randn([3], 4, 0.3),
    }),
    fn: (p) =>
      tf.fused.depthwiseConv2d({
        x: p.x as T4,
        filter: p.f as T4,
        strides: 2,
        pad: "valid",
        bias: p.b,
        activation: "prelu",
        preluActivationWeights: p.a,
      }),
  },
  {
    kernel: "FusedDepthwiseConv2D",
    variant: "linear, no bias",
    params: () => ({ x: randn([2, 5, 4, 2], 1), f: randn([2, 3, 2, 3], 2, 0.5) }),
    fn: (p) => tf.fused.depthwiseConv2d({ x: p.x as T4, filter: p.f as T4, strides: 1, pad: "valid" }),
  },
];

const transposed2d: KernelCase[] = [
  {
    kernel: "Conv2DBackpropInput",
    variant: "conv2dTranspose, same, strides 2",
    params: () => ({ dy: randn([2, 3, 4, 3], 1), f: randn([3, 2, 2, 3], 2, 0.5) }),
    fn: (p) => tf.conv2dTranspose(p.dy as T4, p.f as T4, [2, 6, 8, 2], 2, "same"),
  },
  {
    kernel: "Conv2DBackpropInput",
    variant: "valid, stride 2, odd input size",
    params: () => ({ dy: randn([2, 3, 2, 3], 1), f: randn([3, 2, 2, 3], 2, 0.5) }),
    fn: (p) => tf.conv2dTranspose(p.dy as T4, p.f as T4, [2, 7, 5, 2], 2, "valid"),
  },
  {
    kernel: "Conv2DBackpropInput",
    variant: "explicit pad, strides [1,2]",
    params: () => ({ dy: randn([2, 4, 3, 3], 1), f: randn([2, 3, 2, 3], 2, 0.5) }),
    fn: (p) =>
      tf.conv2dTranspose(
        p.dy as T4,
        p.f as T4,
        [2, 4, 6, 2],
        [1, 2],
        [[0, 0], [1, 0], [1, 1], [0, 0]] as unknown as "same",
      ),
  },
  {
    kernel: "Conv2DBackpropInput",
    variant: "NCHW",
    params: () => ({ dy: randn([2, 3, 3, 4], 1), f: randn([3, 2, 2, 3], 2, 0.5) }),
    fn: (p) =>
      tf.engine().runKernel("Conv2DBackpropInput", { dy: p.dy, filter: p.f }, {
        inputShape: [2, 2, 6, 8],
        strides: 2,
        pad: "same",
        dataFormat: "NCHW",
      }) as tf.Tensor,
    // tfjs-wasm's Conv2DBackpropInput handles NHWC only.
    backends: ["cpu", "webgpu"],
  },
];

const conv3d: KernelCase[] = [
  {
    kernel: "Conv3D",
    variant: "same",
    params: () => ({ x: randn([2, 4, 3, 5, 2], 1), f: randn([2, 3, 2, 2, 3], 2, 0.5) }),
    fn: (p) => tf.conv3d(p.x as T5, p.f as T5, 1, "same"),
  },
  {
    kernel: "Conv3D",
    variant: "valid, strides [1,2,2]",
    params: () => ({ x: randn([2, 3, 5, 6, 2], 1), f: randn([2, 2, 3, 2, 3], 2, 0.5) }),
    fn: (p) => tf.conv3d(p.x as T5, p.f as T5, [1, 2, 2], "valid"),
  },
  {
    kernel: "Conv3D",
    variant: "dilations [2,1,1], same",
    params: () => ({ x: randn([2, 5, 3, 4, 2], 1), f: randn([2, 2, 2, 2, 3], 2, 0.5) }),
    fn: (p) => tf.conv3d(p.x as T5, p.f as T5, 1, "same", "NDHWC", [2, 1, 1]),
    // No gradient for dilated Conv3D in tfjs 4.22: the zero-dilated filter.
    reference: (p) => tf.conv3d(p.x as T5, dilateFilter(p.f, [2, 1, 1]) as T5, 1, "same"),
  },
];

const transposed3d: KernelCase[] = [
  {
    kernel: "Conv3DBackpropInputV2",
    variant: "conv3dTranspose, same, strides 2",
    params: () => ({ dy: randn([2, 2, 3, 2, 3], 1), f: randn([2, 3, 2, 2, 3], 2, 0.5) }),
    fn: (p) => tf.conv3dTranspose(p.dy as T5, p.f as T5, [2, 4, 6, 3, 2], 2, "same"),
    // tfjs 4.22 has no gradient for Conv3DBackpropInputV2: the definition, scatter-style.
    // 'same' here pads (front, top, left) = (0, 0, 0) (padAlong 0/1/1 → lo 0).
    reference: (p) => transposedConv(p.dy, p.f, [4, 6, 3], [2, 2, 2], [0, 0, 0]),
  },
  {
    kernel: "Conv3DBackpropInputV2",
    variant: "valid, strides [1,2,1]",
    params: () => ({ dy: randn([2, 2, 2, 3, 3], 1), f: randn([2, 3, 2, 2, 3], 2, 0.5) }),
    fn: (p) => tf.conv3dTranspose(p.dy as T5, p.f as T5, [2, 3, 5, 4, 2], [1, 2, 1], "valid"),
    reference: (p) => transposedConv(p.dy, p.f, [3, 5, 4], [1, 2, 1], [0, 0, 0]),
  },
];

const pools: KernelCase[] = [
  {
    kernel: "MaxPool",
    variant: "3x3 same",
    params: () => ({ x: randn([2, 5, 4, 3], 1) }),
    fn: (p) => tf.maxPool(p.x as T4, 3, 1, "same"),
  },
  {
    kernel: "MaxPool",
    variant: "[2,3] valid, strides [2,1]",
    params: () => ({ x: randn([2, 6, 5, 3], 1) }),
    fn: (p) => tf.maxPool(p.x as T4, [2, 3], [2, 1], "valid"),
  },
  {
    kernel: "MaxPool",
    variant: "same, strides 2, even sizes",
    params: () => ({ x: randn([2, 6, 4, 2], 1) }),
    fn: (p) => tf.maxPool(p.x as T4, [3, 2], 2, "same"),
  },
  {
    kernel: "MaxPool",
    variant: "ties go to the first maximum",
    params: () => ({ x: tied([2, 5, 4, 3], 1) }),
    fn: (p) => tf.maxPool(p.x as T4, 2, 1, "valid"),
  },
  {
    kernel: "MaxPool",
    variant: "numeric pad, dimRoundingMode ceil",
    params: () => ({ x: randn([2, 6, 6, 2], 1) }),
    fn: (p) => tf.maxPool(p.x as T4, 3, 2, 1, "ceil"),
    // tfjs's MaxPool gradient drops dimRoundingMode: the same windows as an explicit pad.
    reference: (p) => tf.maxPool(p.x as T4, 3, 2, [[0, 0], [1, 2], [1, 2], [0, 0]] as unknown as "same"),
  },
  {
    kernel: "MaxPool3D",
    variant: "[2,3,3] same",
    params: () => ({ x: randn([2, 3, 5, 4, 2], 1) }),
    // tfjs's cpu MaxPool3D gradient encodes window positions with the filter height where
    // it decodes with the width: filters with height ≠ width get wrong references.
    fn: (p) => tf.maxPool3d(p.x as T5, [2, 3, 3], 1, "same"),
  },
  {
    kernel: "MaxPool3D",
    variant: "[1,2,2] valid, strides [1,2,1]",
    params: () => ({ x: randn([2, 3, 5, 4, 2], 1) }),
    fn: (p) => tf.maxPool3d(p.x as T5, [1, 2, 2], [1, 2, 1], "valid"),
  },
  {
    kernel: "MaxPool3D",
    variant: "ties go to the last maximum",
    params: () => ({ x: tied([2, 3, 4, 3, 2], 2) }),
    fn: (p) => tf.maxPool3d(p.x as T5, 2, 1, "valid"),
  },
  {
    kernel: "AvgPool",
    variant: "[2,3] valid, strides [2,1]",
    params: () => ({ x: randn([2, 6, 5, 3], 1) }),
    fn: (p) => tf.avgPool(p.x as T4, [2, 3], [2, 1], "valid"),
  },
  {
    kernel: "AvgPool",
    variant: "3x3 same",
    params: () => ({ x: randn([2, 5, 4, 3], 1) }),
    fn: (p) => tf.avgPool(p.x as T4, 3, 1, "same"),
    reference: (p) => avgPoolRef(p.x, [3, 3], [1, 1], "same"),
  },
  {
    kernel: "AvgPool",
    variant: "[3,2] same, strides 2",
    params: () => ({ x: randn([2, 6, 5, 2], 1) }),
    fn: (p) => tf.avgPool(p.x as T4, [3, 2], 2, "same"),
    reference: (p) => avgPoolRef(p.x, [3, 2], [2, 2], "same"),
  },
  {
    kernel: "AvgPool3D",
    variant: "[2,2,3] valid, strides [1,2,1]",
    params: () => ({ x: randn([2, 3, 5, 4, 2], 1) }),
    fn: (p) => tf.avgPool3d(p.x as T5, [2, 2, 3], [1, 2, 1], "valid"),
  },
  {
    kernel: "AvgPool3D",
    variant: "[2,3,2] same",
    params: () => ({ x: randn([2, 3, 5, 4, 2], 1) }),
    fn: (p) => tf.avgPool3d(p.x as T5, [2, 3, 2], 1, "same"),
    reference: (p) => avgPoolRef(p.x, [2, 3, 2], [1, 1, 1], "same"),
  },
];

const batchNorm: KernelCase[] = [
  {
    kernel: "FusedBatchNorm",
    variant: "per-channel params",
    params: () => ({
      x: randn([2, 5, 4, 3], 1),
      mean: randn([3], 2),
      variance: awayFromZero([3], 0.5, 2, 3, true),
      offset: randn([3], 4),
      scale: randn([3], 5),
    }),
    fn: (p) => tf.batchNorm(p.x, p.mean, p.variance, p.offset, p.scale, 0.01),
  },
  {
    kernel: "FusedBatchNorm",
    variant: "2-D x, no offset, no scale",
    params: () => ({ x: randn([4, 3], 1), mean: randn([3], 2), variance: awayFromZero([3], 0.5, 2, 3, true) }),
    fn: (p) => tf.batchNorm(p.x, p.mean, p.variance),
    // tf.grads in tfjs 4.22 throws on an absent offset or scale (the tape reads undefined
    // inputs): the same function with an offset of zeros and a scale of ones.
    reference: (p) => tf.batchNorm(p.x, p.mean, p.variance, tf.zerosLike(p.mean), tf.onesLike(p.mean)),
  },
  {
    kernel: "FusedBatchNorm",
    variant: "all five full-shape (LayerNormalization)",
    params: () => ({
      x: randn([2, 3, 4, 5], 1),
      mean: randn([2, 3, 4, 5], 2),
      variance: awayFromZero([2, 3, 4, 5], 0.5, 2, 3, true),
      offset: randn([2, 3, 4, 5], 4),
      scale: randn([2, 3, 4, 5], 5),
    }),
    fn: (p) => tf.batchNorm(p.x, p.mean, p.variance, p.offset, p.scale, 0.001),
  },
];

export const CASES: KernelCase[] = [
  ...conv2d,
  ...fusedConv2d,
  ...depthwise,
  ...fusedDepthwise,
  ...transposed2d,
  ...conv3d,
  ...transposed3d,
  ...pools,
  ...batchNorm,
];
