/**
 * Deterministic test data: the same values on every backend (a seeded generator, not
 * tf.random), so a reference on cpu and a run on wasm/webgpu see identical inputs.
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** mulberry32: a small seeded PRNG. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Standard normal values (Box–Muller) scaled by `scale`. */
export function randn(shape: number[], seed = 1, scale = 1): tf.Tensor {
  const r = rng(seed);
  const v = new Float32Array(size(shape));
  for (let i = 0; i < v.length; i++) {
    const u = Math.max(r(), 1e-12), w = r();
    v[i] = scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * w);
  }
  return tf.tensor(v, shape, "float32");
}

/** Uniform values in [lo, hi). */
export function uniform(shape: number[], lo: number, hi: number, seed = 1): tf.Tensor {
  const r = rng(seed);
  const v = new Float32Array(size(shape));
  for (let i = 0; i < v.length; i++) v[i] = lo + (hi - lo) * r();
  return tf.tensor(v, shape, "float32");
}

/** Uniform integers in [0, max). */
export function ints(shape: number[], max: number, seed = 1): tf.Tensor {
  const r = rng(seed);
  const v = new Int32Array(size(shape));
  for (let i = 0; i < v.length; i++) v[i] = Math.floor(r() * max);
  return tf.tensor(v, shape, "int32");
}

/** Values bounded away from zero (for division, log, sqrt…): sign · uniform[lo, hi). */
export function awayFromZero(shape: number[], lo = 0.5, hi = 2, seed = 1, positive = false): tf.Tensor {
  const r = rng(seed);
  const v = new Float32Array(size(shape));
  for (let i = 0; i < v.length; i++) v[i] = (positive || r() < 0.5 ? 1 : -1) * (lo + (hi - lo) * r());
  return tf.tensor(v, shape, "float32");
}
