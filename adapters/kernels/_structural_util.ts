// Helpers shared by the structural kernels: slicing along one axis, min/max masks, flat
// indices of gather_nd/scatter_nd, and tfjs's image-resize source coordinates.
import * as tf from "@tensorflow/tfjs";
import type { KernelCtx } from "./types.ts";
import * as E from "./_emit.ts";
import { reductionAxes } from "./_reduce.ts";

/** Entries `start..start+size` of `axis` (all of every other axis). */
export function sliceAlong(k: KernelCtx, v: E.T, shape: number[], axis: number, start: number, size: number): E.T {
  const begin = shape.map((_, i) => (i === axis ? start : 0));
  const sizes = shape.map((s, i) => (i === axis ? size : s));
  return E.slice(k, v, begin, sizes);
}

/** Max and Min: dy = Σ dx · [x == y] over the reduced axes (tfjs sends dy to every tied extremum). */
export function extremumTangent(k: KernelCtx, axisAttr: unknown): void {
  const x = k.input("x")!;
  const y = k.outputs[0];
  const axes = reductionAxes(axisAttr, x.rank);
  const kept = x.shape.map((s, i) => (axes.includes(i) ? 1 : s));
  // A select, not a bool → float32 cast (tfjs-webgpu's cast only relabels the buffer).
  const mask = tf.where(tf.equal(x, tf.reshape(y, kept)), tf.onesLike(x), tf.zerosLike(x));
  k.setTangent(0, E.reshape(k, E.reduceSum(k, E.mul(k, k.tangent("x"), mask), axes), y.shape));
}

/**
 * Row-major flat positions of gather_nd/scatter_nd index tuples: `indices` `[..., K]` into the
 * leading K axes of `shape` → int32 `[...]`.
 */
export function flatIndices(indices: tf.Tensor, shape: readonly number[]): tf.Tensor {
  const depth = indices.shape[indices.rank - 1];
  const strides = shape.slice(0, depth).map((_, j) => shape.slice(j + 1, depth).reduce((p, s) => p * s, 1));
  return tf.sum(tf.mul(tf.cast(indices, "int32"), tf.tensor1d(strides, "int32")), -1);
}

/** tfjs's resize scale along one axis: input size over output size, corners aligned or not. */
function resizeRatio(inSize: number, outSize: number, alignCorners: boolean): number {
  const aligned = alignCorners && outSize > 1;
  return (aligned ? inSize - 1 : inSize) / (aligned ? outSize - 1 : outSize);
}

/**
 * The `[outSize, inSize]` bilinear weights along one axis, from tfjs's resizeBilinear kernel:
 * source = ratio·r (or ratio·(r + ½) − ½), floor clamped to 0, ceil clamped to inSize − 1.
 */
export function bilinearWeights(inSize: number, outSize: number, alignCorners: boolean, halfPixel: boolean): tf.Tensor {
  const ratio = resizeRatio(inSize, outSize, alignCorners);
  const w = new Float32Array(outSize * inSize);
  for (let r = 0; r < outSize; r++) {
    const src = halfPixel ? ratio * (r + 0.5) - 0.5 : ratio * r;
    const lo = Math.max(0, Math.floor(src));
    const hi = Math.min(inSize - 1, Math.ceil(src));
    const frac = src - lo;
    w[r * inSize + lo] += 1 - frac;
    w[r * inSize + hi] += frac;
  }
  return tf.tensor2d(w, [outSize, inSize]);
}

/** The source index of each output position along one axis, from tfjs's resizeNearestNeighbor. */
export function nearestIndices(inSize: number, outSize: number, alignCorners: boolean, halfPixel: boolean): tf.Tensor {
  const ratio = resizeRatio(inSize, outSize, alignCorners);
  const idx = new Int32Array(outSize);
  for (let r = 0; r < outSize; r++) {
    const src = halfPixel ? ratio * (r + 0.5) : ratio * r;
    const near = Math.min(inSize - 1, alignCorners ? Math.round(src) : Math.floor(src));
    idx[r] = halfPixel ? Math.max(0, near) : near;
  }
  return tf.tensor1d(idx, "int32");
}
