/**
 * Convolutions of the native backend as im2col/col2im + the BLAS's sgemm, for 2-D and 3-D
 * channels-last convolutions (a 2-D one is a 3-D one of depth 1) and the gradients of each.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Blas } from "./blas.ts";
import { biasAndActivation, floats, type KernelArgs } from "./matmul.ts";

/** The geometry of a convolution, 2-D ones with a depth of 1. */
interface Geometry {
  batch: number;
  inC: number;
  outC: number;
  /** Input, output, kernel sizes; strides, dilations and pads before, as [depth, height, width]. */
  inS: number[];
  outS: number[];
  kS: number[];
  stride: number[];
  dilation: number[];
  padBefore: number[];
}

/**
 * im2col's working matrix holds `maxFloats` at most (unless one example needs more): 32 MiB.
 * Tests lower it to cover several chunks on small shapes.
 */
export const IM2COL = { maxFloats: 1 << 23 };

function geometry2d(c: tf.backend_util.Conv2DInfo): Geometry {
  return {
    batch: c.batchSize,
    inC: c.inChannels,
    outC: c.outChannels,
    inS: [1, c.inHeight, c.inWidth],
    outS: [1, c.outHeight, c.outWidth],
    kS: [1, c.filterHeight, c.filterWidth],
    stride: [1, c.strideHeight, c.strideWidth],
    dilation: [1, c.dilationHeight, c.dilationWidth],
    padBefore: [0, c.padInfo.top, c.padInfo.left],
  };
}

function geometry3d(c: tf.backend_util.Conv3DInfo): Geometry {
  return {
    batch: c.batchSize,
    inC: c.inChannels,
    outC: c.outChannels,
    inS: [c.inDepth, c.inHeight, c.inWidth],
    outS: [c.outDepth, c.outHeight, c.outWidth],
    kS: [c.filterDepth, c.filterHeight, c.filterWidth],
    stride: [c.strideDepth, c.strideHeight, c.strideWidth],
    dilation: [c.dilationDepth, c.dilationHeight, c.dilationWidth],
    padBefore: [c.padInfo.front, c.padInfo.top, c.padInfo.left],
  };
}

const product = (s: number[]) => s.reduce((p, d) => p * d, 1);

/** A 1×1 kernel with stride 1 and no padding: the input is already the im2col matrix. */
function pointwise(g: Geometry): boolean {
  return product(g.kS) === 1 && g.stride.every((s) => s === 1) && g.padBefore.every((p) => p === 0) &&
    g.inS.every((d, i) => d === g.outS[i]);
}

/** The examples [b0, b1) of each chunk whose im2col matrix fits IM2COL.maxFloats. */
function* chunks(g: Geometry): Generator<[number, number]> {
  const perExample = product(g.outS) * product(g.kS) * g.inC;
  const step = Math.max(1, Math.floor(IM2COL.maxFloats / Math.max(1, perExample)));
  for (let b0 = 0; b0 < g.batch; b0 += step) yield [b0, Math.min(g.batch, b0 + step)];
}

/**
 * For each output position of examples [b0, b1) and each kernel tap, the input offset of its
 * channel run, or -1 where the tap falls in the padding: the map shared by im2col and col2im.
 */
function tapOffsets(g: Geometry, b0: number, b1: number): Int32Array {
  const [oD, oH, oW] = g.outS, [kD, kH, kW] = g.kS, [iD, iH, iW] = g.inS;
  const taps = kD * kH * kW, at = new Int32Array((b1 - b0) * oD * oH * oW * taps);
  let o = 0;
  for (let b = b0; b < b1; b++) {
    for (let od = 0; od < oD; od++) {
      for (let oh = 0; oh < oH; oh++) {
        for (let ow = 0; ow < oW; ow++) {
          for (let kd = 0; kd < kD; kd++) {
            const d = od * g.stride[0] - g.padBefore[0] + kd * g.dilation[0];
            for (let kh = 0; kh < kH; kh++) {
              const h = oh * g.stride[1] - g.padBefore[1] + kh * g.dilation[1];
              for (let kw = 0; kw < kW; kw++, o++) {
                const w = ow * g.stride[2] - g.padBefore[2] + kw * g.dilation[2];
                const inside = d >= 0 && d < iD && h >= 0 && h < iH && w >= 0 && w < iW;
                at[o] = inside ? (((b * iD + d) * iH + h) * iW + w) * g.inC : -1;
              }
            }
          }
        }
      }
    }
  }
  return at;
}

/** Rows of the im2col matrix: for each tap, the channel run of the input (zeros in the padding). */
function im2col(x: Float32Array, inC: number, at: Int32Array, col: Float32Array): void {
  for (let t = 0, o = 0; t < at.length; t++, o += inC) {
    const s = at[t];
    if (s < 0) col.fill(0, o, o + inC);
    else if (inC >= 16) col.set(x.subarray(s, s + inC), o);
    else for (let c = 0; c < inC; c++) col[o + c] = x[s + c];
  }
}

/** The adjoint of im2col: each run of the column matrix added back onto the input it came from. */
function col2im(col: Float32Array, inC: number, at: Int32Array, dx: Float32Array): void {
  for (let t = 0, o = 0; t < at.length; t++, o += inC) {
    const s = at[t];
    if (s >= 0) { for (let c = 0; c < inC; c++) dx[s + c] += col[o + c]; }
  }
}

/** y = conv(x, w): rows of im2col(x) times w as [taps·inC, outC]. */
function convForward(blas: Blas, g: Geometry, x: Float32Array, w: Float32Array): Float32Array {
  const rowsPer = product(g.outS), K = product(g.kS) * g.inC;
  const y = new Float32Array(g.batch * rowsPer * g.outC);
  if (pointwise(g)) {
    blas.sgemm(false, false, g.batch * rowsPer, g.outC, g.inC, 1, x, g.inC, w, g.outC, 0, y, g.outC);
    return y;
  }
  for (const [b0, b1] of chunks(g)) {
    const rows = (b1 - b0) * rowsPer, col = new Float32Array(rows * K);
    im2col(x, g.inC, tapOffsets(g, b0, b1), col);
    blas.sgemm(false, false, rows, g.outC, K, 1, col, K, w, g.outC, 0, y.subarray(b0 * rowsPer * g.outC), g.outC);
  }
  return y;
}

/** dx of a convolution: col2im(dy · wᵀ). */
function convInputGrad(blas: Blas, g: Geometry, dy: Float32Array, w: Float32Array): Float32Array {
  const rowsPer = product(g.outS), K = product(g.kS) * g.inC;
  const dx = new Float32Array(g.batch * product(g.inS) * g.inC);
  if (pointwise(g)) {
    blas.sgemm(false, true, g.batch * rowsPer, g.inC, g.outC, 1, dy, g.outC, w, g.outC, 0, dx, g.inC);
    return dx;
  }
  for (const [b0, b1] of chunks(g)) {
    const rows = (b1 - b0) * rowsPer, col = new Float32Array(rows * K);
    blas.sgemm(false, true, rows, K, g.outC, 1, dy.subarray(b0 * rowsPer * g.outC), g.outC, w, g.outC, 0, col, K);
    col2im(col, g.inC, tapOffsets(g, b0, b1), dx);
  }
  return dx;
}

/** dw of a convolution: im2col(x)ᵀ · dy, summed over chunks of examples. */
function convFilterGrad(blas: Blas, g: Geometry, x: Float32Array, dy: Float32Array): Float32Array {
  const rowsPer = product(g.outS), K = product(g.kS) * g.inC;
  const dw = new Float32Array(K * g.outC);
  if (pointwise(g)) {
    blas.sgemm(true, false, g.inC, g.outC, g.batch * rowsPer, 1, x, g.inC, dy, g.outC, 0, dw, g.outC);
    return dw;
  }
  for (const [b0, b1] of chunks(g)) {
    const rows = (b1 - b0) * rowsPer, col = new Float32Array(rows * K);
    im2col(x, g.inC, tapOffsets(g, b0, b1), col);
    const dyChunk = dy.subarray(b0 * rowsPer * g.outC);
    blas.sgemm(true, false, K, g.outC, rows, 1, col, K, dyChunk, g.outC, b0 === 0 ? 0 : 1, dw, g.outC);
  }
  return dw;
}

const channelsLast = (f: unknown) => f === undefined || f === "NHWC" || f === "NDHWC" || f === "channelsLast";

/** Conv2D and FusedConv2D (channels-last, float32); null hands the call to the cpu kernel. */
export function conv2d(blas: Blas, args: KernelArgs, fused: boolean): tf.TensorInfo | null {
  const { inputs, attrs, backend } = args;
  const x = inputs.x!, filter = inputs.filter!;
  const X = floats(backend, x), W = floats(backend, filter);
  if (!X || !W || !channelsLast(attrs.dataFormat)) return null;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    attrs.strides as [number, number],
    (attrs.dilations ?? 1) as [number, number],
    attrs.pad as "valid",
    attrs.dimRoundingMode as "floor" | undefined,
  );
  const y = backend.makeTensorInfo(info.outShape, "float32", convForward(blas, geometry2d(info), X, W));
  return fused ? biasAndActivation(args, y) : y;
}

/** Conv2DBackpropInput (channels-last, float32). */
export function conv2dBackpropInput(blas: Blas, args: KernelArgs): tf.TensorInfo | null {
  const { inputs, attrs, backend } = args;
  const dy = inputs.dy!, filter = inputs.filter!;
  const DY = floats(backend, dy), W = floats(backend, filter);
  if (!DY || !W || !channelsLast(attrs.dataFormat)) return null;
  const info = tf.backend_util.computeConv2DInfo(
    attrs.inputShape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    attrs.strides as [number, number],
    1,
    attrs.pad as "valid",
    attrs.dimRoundingMode as "floor" | undefined,
  );
  return backend.makeTensorInfo(info.inShape, "float32", convInputGrad(blas, geometry2d(info), DY, W));
}

/** Conv2DBackpropFilter (channels-last, float32). */
export function conv2dBackpropFilter(blas: Blas, args: KernelArgs): tf.TensorInfo | null {
  const { inputs, attrs, backend } = args;
  const x = inputs.x!, dy = inputs.dy!;
  const X = floats(backend, x), DY = floats(backend, dy);
  if (!X || !DY || !channelsLast(attrs.dataFormat)) return null;
  const shape = attrs.filterShape as [number, number, number, number];
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    shape,
    attrs.strides as [number, number],
    1,
    attrs.pad as "valid",
    attrs.dimRoundingMode as "floor" | undefined,
  );
  return backend.makeTensorInfo(shape, "float32", convFilterGrad(blas, geometry2d(info), X, DY));
}

function conv3dInfo(xShape: number[], filterShape: number[], attrs: KernelArgs["attrs"]): tf.backend_util.Conv3DInfo {
  return tf.backend_util.computeConv3DInfo(
    xShape as [number, number, number, number, number],
    filterShape as [number, number, number, number, number],
    attrs.strides as [number, number, number],
    (attrs.dilations ?? 1) as [number, number, number],
    attrs.pad as "valid",
  );
}

/** Conv3D, Conv3DBackpropInputV2 and Conv3DBackpropFilterV2 (NDHWC, float32). */
export function conv3d(blas: Blas, args: KernelArgs, which: "forward" | "input" | "filter"): tf.TensorInfo | null {
  const { inputs, attrs, backend } = args;
  if (!channelsLast(attrs.dataFormat)) return null;
  if (which === "forward") {
    const X = floats(backend, inputs.x!), W = floats(backend, inputs.filter!);
    if (!X || !W) return null;
    const info = conv3dInfo(inputs.x!.shape, inputs.filter!.shape, attrs);
    return backend.makeTensorInfo(info.outShape, "float32", convForward(blas, geometry3d(info), X, W));
  }
  if (which === "input") {
    const DY = floats(backend, inputs.dy!), W = floats(backend, inputs.filter!);
    if (!DY || !W) return null;
    const info = conv3dInfo(attrs.inputShape as number[], inputs.filter!.shape, { ...attrs, dilations: 1 });
    return backend.makeTensorInfo(info.inShape, "float32", convInputGrad(blas, geometry3d(info), DY, W));
  }
  const X = floats(backend, inputs.x!), DY = floats(backend, inputs.dy!);
  if (!X || !DY) return null;
  const shape = attrs.filterShape as number[];
  const info = conv3dInfo(inputs.x!.shape, shape, { ...attrs, dilations: 1 });
  return backend.makeTensorInfo(shape, "float32", convFilterGrad(blas, geometry3d(info), X, DY));
}
