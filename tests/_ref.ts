/**
 * Independent oracles for the tests: explicit Jacobians from tfjs's own gradients (on cpu),
 * and the neural-tangents layout written with plain loops.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import type { ParamFn } from "../adapters/trace.ts";

export type Params = Record<string, tf.Tensor>;

/** Runs `fn` on the cpu backend and restores the previous backend. */
export async function onCpu<T>(fn: () => T | Promise<T>): Promise<T> {
  const prev = tf.getBackend();
  if (prev !== "cpu") await tf.setBackend("cpu");
  try {
    return await fn();
  } finally {
    if (prev !== "cpu") await tf.setBackend(prev);
  }
}

/** Copies tensors' values into fresh tensors on the current backend. */
export async function copyTo<T extends tf.Tensor | tf.Tensor[] | Params>(x: T): Promise<T> {
  if (x instanceof tf.Tensor) return tf.tensor(await x.data(), x.shape, x.dtype) as T;
  if (Array.isArray(x)) return (await Promise.all(x.map((t) => copyTo(t)))) as T;
  const out: Params = {};
  for (const [k, v] of Object.entries(x as Params)) out[k] = await copyTo(v);
  return out as T;
}

/** The Jacobian of f at x w.r.t. all params as rows: [outSize, P] (Float64Array, row-major). */
export function explicitJacobian(
  f: ParamFn,
  params: Params,
  x: tf.Tensor | tf.Tensor[],
): { j: Float64Array; outShape: number[]; p: number } {
  const names = Object.keys(params);
  const y = tf.tidy(() => asOne(f(params, x)));
  const outShape = y.shape, outSize = y.size;
  y.dispose();
  const p = names.reduce((a, n) => a + params[n].size, 0);
  const j = new Float64Array(outSize * p);
  const g = tf.grads((...ps: tf.Tensor[]) => asOne(f(Object.fromEntries(names.map((n, i) => [n, ps[i]])), x)));
  for (let i = 0; i < outSize; i++) {
    const row = tf.tidy(() => {
      // Not tf.oneHot: it wants a depth of at least 2, and an output may have one entry.
      const dy = tf.tensor(Float32Array.from({ length: outSize }, (_, k) => (k === i ? 1 : 0)), outShape);
      const gs = g(names.map((n) => params[n]), dy);
      return tf.concat(gs.map((t) => tf.reshape(t, [-1])));
    });
    j.set(row.dataSync(), i * p);
    row.dispose();
  }
  return { j, outShape, p };
}

function asOne(r: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(r) ? tf.concat(r.map((t) => tf.reshape(t, [t.shape[0], -1])), 1) : r;
}

/** neural-tangents' layout of J1·J2ᵀ, by loops over output indices. */
export function referenceNtk(
  f: ParamFn,
  params: Params,
  x1: tf.Tensor | tf.Tensor[],
  x2: tf.Tensor | tf.Tensor[] | null,
  traceAxes: number[] = [-1],
  diagonalAxes: number[] = [],
): { data: Float64Array; shape: number[] } {
  const a = explicitJacobian(f, params, x1);
  const b = x2 ? explicitJacobian(f, params, x2) : a;
  const r = a.outShape.length;
  const norm = (ax: number) => (ax < 0 ? ax + r : ax);
  const tr = traceAxes.map(norm), dg = diagonalAxes.map(norm);
  const outShape: number[] = [];
  for (let i = 0; i < r; i++) {
    if (tr.includes(i)) continue;
    if (dg.includes(i)) outShape.push(a.outShape[i]);
    else outShape.push(a.outShape[i], b.outShape[i]);
  }
  const size = outShape.reduce((x, y) => x * y, 1);
  const data = new Float64Array(size);
  const strides = (s: number[]) => s.map((_, i) => s.slice(i + 1).reduce((x, y) => x * y, 1));
  const [sa, sb, so] = [strides(a.outShape), strides(b.outShape), strides(outShape)];
  const unravel = (flat: number, s: number[], st: number[]) => s.map((_, i) => Math.floor(flat / st[i]) % s[i]);
  const total1 = a.outShape.reduce((x, y) => x * y, 1), total2 = b.outShape.reduce((x, y) => x * y, 1);
  for (let i1 = 0; i1 < total1; i1++) {
    const ia = unravel(i1, a.outShape, sa);
    for (let i2 = 0; i2 < total2; i2++) {
      const ib = unravel(i2, b.outShape, sb);
      if ([...tr, ...dg].some((ax) => ia[ax] !== ib[ax])) continue;
      let dot = 0;
      for (let q = 0; q < a.p; q++) dot += a.j[i1 * a.p + q] * b.j[i2 * b.p + q];
      const idx: number[] = [];
      for (let ax = 0; ax < r; ax++) {
        if (tr.includes(ax)) continue;
        if (dg.includes(ax)) idx.push(ia[ax]);
        else idx.push(ia[ax], ib[ax]);
      }
      data[idx.reduce((acc, v, k) => acc + v * so[k], 0)] += dot;
    }
  }
  const traced = tr.reduce((p, ax) => p * a.outShape[ax], 1);
  for (let i = 0; i < size; i++) data[i] /= traced;
  return { data, shape: outShape };
}

/** max|K − Kref| / max|Kref|. */
/** `relError` of two tensors of the same shape (asserted), read asynchronously. */
export async function tensorRelError(k: tf.Tensor, ref: tf.Tensor): Promise<number> {
  assert.deepEqual(k.shape, ref.shape, "shapes differ");
  return relError(await k.data(), await ref.data());
}

export function relError(k: ArrayLike<number>, ref: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < ref.length; i++) {
    num = Math.max(num, Math.abs(k[i] - ref[i]));
    den = Math.max(den, Math.abs(ref[i]));
  }
  return den === 0 ? num : num / den;
}
