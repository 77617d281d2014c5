// Shared by the conv family: tfjs's window geometry (from its own conv_util, so 'same',
// explicit pads and dimRoundingMode match exactly) as conv_general_dilated / reduce_window_sum
// params, channels-first ↔ channels-last, and the tangents of (transposed) convolutions.
import * as tf from "@tensorflow/tfjs";
import type { ConvParams, Padding } from "../../src/core/ir.ts";
import type { KernelCtx } from "./types.ts";
import type { Conv2DAttrs, FusedConv2DAttrs, MaxPool3DAttrs, MaxPoolAttrs } from "@tensorflow/tfjs";

/** Attrs of a 2-D pooling kernel (MaxPool, AvgPool) or a 3-D one (MaxPool3D, AvgPool3D). */
export type PoolAttrs = (MaxPoolAttrs & { dataFormat?: undefined }) | MaxPool3DAttrs;
import * as E from "./_emit.ts";
import { activationTangent } from "./_activation.ts";
import { windowOffsets } from "../../src/core/axes.ts";
import { UnsupportedAttributeError } from "../../src/core/errors.ts";

/** A window's sweep over the spatial axes, as tfjs computes it (one entry per spatial axis). */
export interface Geometry {
  inSpatial: number[];
  outSpatial: number[];
  window: number[];
  strides: number[];
  dilations: number[];
  /** Padding before the first entry (tfjs's padInfo top / left / front). */
  lo: number[];
}

type Info2D = ReturnType<typeof tf.backend_util.computeConv2DInfo>;
type Info3D = ReturnType<typeof tf.backend_util.computeConv3DInfo>;

export function geometry2D(i: Info2D): Geometry {
  return {
    inSpatial: [i.inHeight, i.inWidth],
    outSpatial: [i.outHeight, i.outWidth],
    window: [i.filterHeight, i.filterWidth],
    strides: [i.strideHeight, i.strideWidth],
    dilations: [i.dilationHeight, i.dilationWidth],
    lo: [i.padInfo.top, i.padInfo.left],
  };
}

export function geometry3D(i: Info3D): Geometry {
  return {
    inSpatial: [i.inDepth, i.inHeight, i.inWidth],
    outSpatial: [i.outDepth, i.outHeight, i.outWidth],
    window: [i.filterDepth, i.filterHeight, i.filterWidth],
    strides: [i.strideDepth, i.strideHeight, i.strideWidth],
    dilations: [i.dilationDepth, i.dilationHeight, i.dilationWidth],
    lo: [i.padInfo.front, i.padInfo.top, i.padInfo.left],
  };
}

const effective = (g: Geometry, i: number) => (g.window[i] - 1) * g.dilations[i] + 1;

/**
 * Zero padding per axis: tfjs's `lo`, and the `hi` that yields exactly its output size (tfjs
 * reads nothing past the last window, whatever its rounding mode; hi < 0 crops).
 */
export function padding(g: Geometry): Padding {
  return g.lo.map((lo, i) => [lo, (g.outSpatial[i] - 1) * g.strides[i] + effective(g, i) - g.inSpatial[i] - lo]);
}

export function convParams(g: Geometry, featureGroupCount = 1): ConvParams {
  const ones = g.strides.map(() => 1);
  return { strides: g.strides, padding: padding(g), lhsDilation: ones, rhsDilation: g.dilations, featureGroupCount };
}

/**
 * The transpose of the convolution `g` w.r.t. its input, as a convolution of the output:
 * lhs dilated by the strides, padding lo' = k−1−lo and the hi' that restores the input size.
 */
export function transposedConvParams(g: Geometry): ConvParams {
  const ones = g.strides.map(() => 1);
  const padding: Padding = g.lo.map((lo, i) => {
    const k = effective(g, i), lo2 = k - 1 - lo;
    return [lo2, g.inSpatial[i] + k - 2 - (g.outSpatial[i] - 1) * g.strides[i] - lo2];
  });
  return { strides: ones, padding, lhsDilation: g.strides, rhsDilation: g.dilations, featureGroupCount: 1 };
}

// ---- layouts ----------------------------------------------------------------------------

const TO_LAST = [0, 2, 3, 1], TO_FIRST = [0, 3, 1, 2];

/** A 2-D conv kernel's dataFormat: true for NCHW. */
export function channelsFirst(k: KernelCtx<{ dataFormat?: string }>): boolean {
  const f = k.attrs.dataFormat ?? "NHWC";
  if (f !== "NHWC" && f !== "NCHW") throw new UnsupportedAttributeError(k.kernel, "dataFormat", f);
  return f === "NCHW";
}

/** An NCHW primal and its tangent as NHWC (unchanged when `cf` is false). */
export function toLast(k: KernelCtx, t: tf.Tensor, v: E.T, cf: boolean): [tf.Tensor, E.T] {
  return cf ? [tf.transpose(t, TO_LAST), E.transpose(k, v, TO_LAST)] : [t, v];
}

export function lastShape(shape: number[], cf: boolean): number[] {
  return cf ? TO_LAST.map((p) => shape[p]) : shape;
}

/** An NHWC tangent back to NCHW. */
export function toFirst(k: KernelCtx, v: E.T, cf: boolean): E.T {
  return cf ? E.transpose(k, v, TO_FIRST) : v;
}

/** tfjs's output shape must be what its geometry says (cpu ignores some dataFormats). */
export function checkOutShape(k: KernelCtx<object>, expected: number[]): void {
  const got = k.outputs[0].shape;
  if (got.length !== expected.length || got.some((s, i) => s !== expected[i])) {
    throw new UnsupportedAttributeError(
      k.kernel,
      "dataFormat",
      `${(k.attrs as { dataFormat?: string }).dataFormat} (backend output [${got}], expected [${expected}])`,
    );
  }
}

// ---- tangents ---------------------------------------------------------------------------

/** d conv(x, f) = conv(dx, f) + conv(x, df), channels-last. */
export function convTangent(
  k: KernelCtx,
  x: tf.Tensor,
  dx: E.T,
  f: tf.Tensor,
  df: E.T,
  params: ConvParams,
  outShape: number[],
): E.T {
  const a = dx && k.emit("conv_general_dilated", [dx, f], params, outShape);
  const b = df && k.emit("conv_general_dilated", [x, df], params, outShape);
  return E.add(k, a, b);
}

/**
 * The tangent of a transposed convolution (an input gradient) of `dy` by `f`
 * (`[...window, Cin, Cout]` of the forward conv `g`): a convolution of the dilated dy by the
 * spatially reversed filter with its channel axes swapped.
 */
export function convTransposeTangent(
  k: KernelCtx,
  dy: tf.Tensor,
  ddy: E.T,
  f: tf.Tensor,
  df: E.T,
  g: Geometry,
  outShape: number[],
): E.T {
  // Reversing every window axis is reversing the flattened window: the const works on
  // [K, Cin, Cout] (tfjs-webgpu's reverse fails from rank 5 on); the tangent's rev and transpose
  // are views, so structured derivatives still see the filter.
  const d = g.window.length;
  const [ci, co] = f.shape.slice(d), kk = f.size / (ci * co);
  const flipped = [...f.shape.slice(0, d), co, ci];
  const fT = tf.reshape(tf.transpose(tf.reverse(tf.reshape(f, [kk, ci, co]), 0), [0, 2, 1]), flipped);
  const window = Array.from({ length: d }, (_, i) => i);
  const dfRev = df && k.emit("rev", [df], { dimensions: window }, df.shape);
  const dfT = E.transpose(k, dfRev, [...window, d + 1, d]);
  return convTangent(k, dy, ddy, fT, dfT, transposedConvParams(g), outShape);
}

/**
 * The tangent of Conv2D or DepthwiseConv2dNative (filter `[kh, kw, C, M]`: a convolution with
 * C groups by `[kh, kw, 1, C·M]`), channels-last, with whether the layout is NCHW.
 */
export function conv2dTangent(k: KernelCtx<Conv2DAttrs>, depthwise: boolean) {
  const x = k.input("x")!, f = k.input("filter")!;
  const { strides, pad, dilations, dimRoundingMode } = k.attrs;
  const cf = channelsFirst(k);
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    f.shape as [number, number, number, number],
    strides,
    dilations ?? 1,
    pad,
    dimRoundingMode,
    depthwise,
    cf ? "channelsFirst" : "channelsLast",
  );
  checkOutShape(k, info.outShape);
  const [xl, dxl] = toLast(k, x, k.tangent("x"), cf);
  const [kh, kw, c, m] = f.shape;
  const fShape = depthwise ? [kh, kw, 1, c * m] : f.shape;
  const fl = tf.reshape(f, fShape), dfl = E.reshape(k, k.tangent("filter"), fShape);
  const outShape = lastShape(info.outShape, cf);
  const params = convParams(geometry2D(info), depthwise ? c : 1);
  return { dz: convTangent(k, xl, dxl, fl, dfl, params, outShape), cf, outShape };
}

/**
 * FusedConv2D / FusedDepthwiseConv2D: dy = act′(z) · (dconv + dbias), z = conv(x, f) + bias,
 * worked out channels-last (where NCHW's 1-D bias and PReLU weights align with channels).
 */
export function fusedConv2dTangent(k: KernelCtx<FusedConv2DAttrs>, depthwise: boolean): E.T {
  const { dz, cf, outShape } = conv2dTangent(k, depthwise);
  const bias = k.input("bias"), alpha = k.input("preluActivationWeights");
  if (cf && alpha && alpha.rank > 1) {
    throw new UnsupportedAttributeError(k.kernel, "preluActivationWeights (NCHW, rank > 1)", alpha.shape);
  }
  const dzb = E.add(k, dz, E.broadcastTo(k, k.tangent("bias"), outShape));
  const z = () => {
    const { strides, pad, dataFormat, dilations, dimRoundingMode } = k.attrs;
    const [x, f] = [k.input("x") as tf.Tensor4D, k.input("filter") as tf.Tensor4D];
    const conv = depthwise
      ? tf.depthwiseConv2d(x, f, strides, pad, dataFormat, dilations, dimRoundingMode)
      : tf.conv2d(x, f, strides, pad, dataFormat, dilations, dimRoundingMode);
    const zl = cf ? tf.transpose(conv, TO_LAST) : conv;
    return bias ? tf.add(zl, bias) : zl;
  };
  const y = k.outputs[0];
  return toFirst(k, activationTangent(k, dzb, cf ? tf.transpose(y, TO_LAST) : y, z), cf);
}

// ---- pooling ----------------------------------------------------------------------------

type Shape4 = [number, number, number, number];
type Shape5 = [number, number, number, number, number];

/** tfjs's geometry of MaxPool / AvgPool (x 4-D) or MaxPool3D / AvgPool3D (x 5-D, NDHWC). */
export function poolGeometry(k: KernelCtx<PoolAttrs>): Geometry {
  const x = k.input("x")!;
  // tfjs gives the 2-D kernels a 4-D x and the 3-D ones a 5-D x.
  if (x.rank === 4) {
    const { filterSize, strides, pad, dimRoundingMode } = k.attrs as MaxPoolAttrs;
    return geometry2D(
      tf.backend_util.computePool2DInfo(x.shape as Shape4, filterSize, strides, 1, pad, dimRoundingMode),
    );
  }
  const { filterSize, strides, pad, dimRoundingMode, dataFormat } = k.attrs as MaxPool3DAttrs;
  if ((dataFormat ?? "NDHWC") !== "NDHWC") throw new UnsupportedAttributeError(k.kernel, "dataFormat", dataFormat);
  return geometry3D(tf.backend_util.computePool3DInfo(x.shape as Shape5, filterSize, strides, 1, pad, dimRoundingMode));
}

/** Average pooling: dy = window_sum(dx, zero padded) / count. */
export function avgPoolTangent(k: KernelCtx<PoolAttrs>): E.T {
  const g = poolGeometry(k);
  const params = { window: g.window, strides: g.strides, padding: padding(g) };
  const sum = k.emit("reduce_window_sum", [k.tangent("x")!], params, k.outputs[0].shape);
  return E.mul(k, sum, inverseCounts(g));
}

/** Max pooling: dy[o] = dx[p(o)], p(o) the window's maximum that tfjs's gradient picks. */
export function maxPoolTangent(k: KernelCtx<PoolAttrs>, tie: "first" | "last"): E.T {
  const x = k.input("x")!;
  const positions = maxPositions(x, poolGeometry(k), tie);
  return k.emit("select_and_gather_add", [k.tangent("x")!], { positions, shape: x.shape }, k.outputs[0].shape);
}

/** `1 / (in-bounds entries of each window)`, `[1, ...out, 1]` (tfjs's average pooling divisor). */
export function inverseCounts(g: Geometry): tf.Tensor {
  const perAxis = g.outSpatial.map((n, i) =>
    Array.from({ length: n }, (_, o) => {
      const start = o * g.strides[i] - g.lo[i];
      return Math.min(g.inSpatial[i], start + effective(g, i)) - Math.max(0, start);
    })
  );
  let counts = [1];
  for (const axis of perAxis) counts = counts.flatMap((c) => axis.map((a) => c * a));
  return tf.tensor(counts.map((c) => 1 / Math.max(c, 1)), [1, ...g.outSpatial, 1]);
}

/**
 * `value`s before and after `axis` (negative counts crop), through an `[outer, n, inner]` view:
 * tfjs-webgpu 4.22's pad is wrong from rank 5 on.
 */
function padAxis(t: tf.Tensor, axis: number, lo: number, hi: number, value: number): tf.Tensor {
  const s = t.shape, n = s[axis], size = n + lo + hi;
  const view = [s.slice(0, axis).reduce((a, b) => a * b, 1), n, s.slice(axis + 1).reduce((a, b) => a * b, 1)];
  let x = tf.pad(tf.reshape(t, view), [[0, 0], [Math.max(lo, 0), Math.max(hi, 0)], [0, 0]], value);
  if (lo < 0 || hi < 0) x = tf.slice(x, [0, Math.max(-lo, 0), 0], [view[0], size, view[2]]);
  return tf.reshape(x, s.map((v, i) => (i === axis ? size : v)));
}

/**
 * For max pooling of channels-last `x`: the flat index into `x` (batch included) of the
 * maximum each output entry takes, int32 of the output's shape. Window entries are visited in
 * row-major order and padding (−∞) never wins; `tie` picks the first or the last maximum.
 * Ranks ≤ 6 and no tf.where or int32 slicing (tfjs-webgpu lacks rank-5 where; tfjs-wasm's
 * stridedSlice turns int32 into float32): the running choice is a float window slot.
 */
export function maxPositions(x: tf.Tensor, g: Geometry, tie: "first" | "last"): tf.Tensor {
  const d = g.window.length;
  const values = padding(g).reduce((t, [lo, hi], i) => padAxis(t, i + 1, lo, hi, -Infinity), x);
  const window = (off: number[]) => {
    const begin = [0, ...off.map((o, i) => o * g.dilations[i]), 0];
    const end = [
      x.shape[0],
      ...off.map((o, i) => o * g.dilations[i] + (g.outSpatial[i] - 1) * g.strides[i] + 1),
      x.shape[d + 1],
    ];
    return tf.stridedSlice(values, begin, end, [1, ...g.strides, 1]);
  };
  const offs = windowOffsets(g.window);
  let best = window(offs[0]), slot: tf.Tensor = tf.zerosLike(best);
  offs.slice(1).forEach((off, j) => {
    const v = window(off);
    const take = tf.cast(tie === "first" ? tf.greater(v, best) : tf.greaterEqual(v, best), "float32");
    best = tf.maximum(best, v);
    slot = tf.add(slot, tf.mul(take, tf.sub(j + 1, slot)));
  });
  // Flat index: Σ_axis coordinate·stride, coordinate = o·s − lo + offset(slot)·dilation.
  const outShape = best.shape;
  const along = (axis: number, t: tf.Tensor) => tf.reshape(t, outShape.map((s, i) => (i === axis ? s : 1)));
  const strides = x.shape.map((_, i) => x.shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const int = (v: number) => tf.scalar(v, "int32");
  const j = tf.cast(slot, "int32");
  let flat = tf.add(
    along(0, tf.range(0, x.shape[0] * strides[0], strides[0], "int32")),
    along(d + 1, tf.range(0, x.shape[d + 1], 1, "int32")),
  );
  let below = g.window.reduce((a, b) => a * b, 1);
  for (let i = 0; i < d; i++) {
    below /= g.window[i];
    const offset = tf.mod(tf.floorDiv(j, int(below)), int(g.window[i]));
    const start = along(i + 1, tf.range(-g.lo[i], g.outSpatial[i] * g.strides[i] - g.lo[i], g.strides[i], "int32"));
    const coord = tf.add(start, tf.mul(offset, int(g.dilations[i])));
    flat = tf.add(flat, tf.mul(coord, int(strides[i + 1])));
  }
  return flat;
}
