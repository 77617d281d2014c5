// Elementwise ops that stay correct at any rank: tfjs-wasm 4.22's XNNPACK binary ops and pad
// return wrong values at rank 7 (and tfjs-webgpu stops at rank 6), while lead axes easily push
// tangents there. Axes that broadcast alike are merged first, so the op sees few axes.
import * as tf from "@tensorflow/tfjs";

/** The broadcast shape of a and b, and both reshaped onto as few axes as the pattern allows. */
export function coalesce(as: readonly number[], bs: readonly number[]): { a: number[]; b: number[]; out: number[] } {
  const r = Math.max(as.length, bs.length);
  const pa = [...Array(r - as.length).fill(1), ...as], pb = [...Array(r - bs.length).fill(1), ...bs];
  const a: number[] = [], b: number[] = [], out: number[] = [];
  let last = "";
  for (let i = 0; i < r; i++) {
    const o = pa[i] === 1 ? pb[i] : pa[i]; // numpy: 1 broadcasts (to 0 as well)
    if (pa[i] !== o && pa[i] !== 1 || pb[i] !== o && pb[i] !== 1) {
      throw new Error(`Shapes [${as}] and [${bs}] do not broadcast`);
    }
    if (o === 1) continue;
    const pattern = `${pa[i] === o ? "a" : "1"}${pb[i] === o ? "b" : "1"}`;
    if (pattern === last) {
      const k = out.length - 1;
      out[k] *= o;
      a[k] *= pa[i];
      b[k] *= pb[i];
    } else {
      out.push(o), a.push(pa[i]), b.push(pb[i]);
      last = pattern;
    }
  }
  return { a, b, out };
}

function broadcastShape(as: readonly number[], bs: readonly number[]): number[] {
  const r = Math.max(as.length, bs.length);
  return Array.from({ length: r }, (_, i) => {
    const a = as[as.length - r + i] ?? 1;
    return a === 1 ? bs[bs.length - r + i] ?? 1 : a;
  });
}

function binary(op: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor, a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const full = broadcastShape(a.shape, b.shape);
  const c = coalesce(a.shape, b.shape);
  return tf.tidy(() => tf.reshape(op(tf.reshape(a, c.a), tf.reshape(b, c.b)), full));
}

/** a · b with numpy broadcasting, at any rank. */
export const mulB = (a: tf.Tensor, b: tf.Tensor) => binary(tf.mul, a, b);
/** a / b with numpy broadcasting, at any rank. */
export const divB = (a: tf.Tensor, b: tf.Tensor) => binary(tf.div, a, b);
/** a + b with numpy broadcasting, at any rank. */
export const addB = (a: tf.Tensor, b: tf.Tensor) => binary(tf.add, a, b);
/** a − b with numpy broadcasting, at any rank. */
export const subB = (a: tf.Tensor, b: tf.Tensor) => binary(tf.sub, a, b);

/**
 * `tf.broadcastTo` at any rank — as an addition to zeros, which broadcasts in the fast binary
 * kernels (tfjs-wasm's Tile, behind broadcastTo, is 18× slower).
 */
export function broadcastToB(t: tf.Tensor, shape: number[]): tf.Tensor {
  const c = coalesce(t.shape, shape);
  return tf.tidy(() => tf.reshape(tf.add(tf.reshape(t, c.a), tf.zeros(c.out, t.dtype)), shape));
}

/** `tf.pad` (zeros) at any rank: an unpadded axis merges into the axis before it. */
export function padB(t: tf.Tensor, widths: [number, number][]): tf.Tensor {
  const groups: { size: number; inner: number; lo: number; hi: number }[] = [];
  t.shape.forEach((s, i) => {
    const [lo, hi] = widths[i];
    if (groups.length && lo === 0 && hi === 0) {
      const g = groups[groups.length - 1];
      g.size *= s;
      g.inner *= s;
    } else groups.push({ size: s, inner: 1, lo, hi });
  });
  return tf.tidy(() => {
    const padded = tf.pad(
      tf.reshape(t, groups.map((g) => g.size)),
      groups.map((g) => [g.lo * g.inner, g.hi * g.inner] as [number, number]),
    );
    return tf.reshape(padded, t.shape.map((s, i) => s + widths[i][0] + widths[i][1]));
  });
}

/** `tf.sum` at any rank: adjacent axes that are both summed or both kept merge first. */
export function sumB(t: tf.Tensor, axes: number[], keepDims = false): tf.Tensor {
  const summed = new Set(axes.map((a) => (a < 0 ? a + t.rank : a)));
  const outShape = t.shape.flatMap((s, i) => (summed.has(i) ? (keepDims ? [1] : []) : [s]));
  if (summed.size === 0) return tf.reshape(t, outShape);
  const runs: { size: number; sum: boolean }[] = [];
  t.shape.forEach((s, i) => {
    const sum = summed.has(i);
    const last = runs[runs.length - 1];
    if (last && last.sum === sum) last.size *= s;
    else runs.push({ size: s, sum });
  });
  return tf.tidy(() => {
    const r = tf.sum(tf.reshape(t, runs.map((x) => x.size)), runs.flatMap((x, i) => (x.sum ? [i] : [])));
    return tf.reshape(r, outShape);
  });
}

/** `tf.transpose` at any rank: axes that stay adjacent and in order move as one. */
export function transposeB(t: tf.Tensor, perm: number[]): tf.Tensor {
  if (perm.every((p, i) => p === i)) return tf.clone(t); // a new handle: callers own results
  // Runs of source axes that appear consecutively in perm.
  const runs: number[][] = [];
  for (const p of perm) {
    const last = runs[runs.length - 1];
    if (last && last[last.length - 1] + 1 === p) last.push(p);
    else runs.push([p]);
  }
  if (runs.length === perm.length) return tf.transpose(t, perm);
  const bySource = [...runs].sort((a, b) => a[0] - b[0]);
  const size = (run: number[]) => run.reduce((acc, a) => acc * t.shape[a], 1);
  return tf.tidy(() => {
    const merged = tf.reshape(t, bySource.map(size));
    const moved = tf.transpose(merged, runs.map((r) => bySource.indexOf(r)));
    return tf.reshape(moved, perm.map((p) => t.shape[p]));
  });
}

/**
 * The sum of same-shaped tensors, pairwise and at any rank: tfjs-webgpu 4.22's addN is wrong
 * from 8 inputs on (a 3×3 window has 9 parts). Always a new tensor.
 */
export function addAll(ts: tf.Tensor[]): tf.Tensor {
  if (ts.length === 1) return tf.clone(ts[0]);
  return tf.tidy(() => {
    let level = ts;
    while (level.length > 1) {
      level = Array.from(
        { length: Math.ceil(level.length / 2) },
        (_, i) => level[2 * i + 1] ? addB(level[2 * i], level[2 * i + 1]) : level[2 * i],
      );
    }
    return level[0];
  });
}

/**
 * `tf.reverse` at any rank: adjacent axes that are both reversed (reversing the flattened pair)
 * or both kept merge first. Always a new tensor.
 */
export function reverseB(t: tf.Tensor, dims: number[]): tf.Tensor {
  const rev = new Set(dims.map((d) => (d < 0 ? d + t.rank : d)));
  if (rev.size === 0) return tf.clone(t);
  const runs: { size: number; rev: boolean }[] = [];
  t.shape.forEach((s, i) => {
    const last = runs[runs.length - 1];
    if (last && last.rev === rev.has(i)) last.size *= s;
    else runs.push({ size: s, rev: rev.has(i) });
  });
  return tf.tidy(() => {
    const r = tf.reverse(tf.reshape(t, runs.map((x) => x.size)), runs.flatMap((x, i) => (x.rev ? [i] : [])));
    return tf.reshape(r, t.shape);
  });
}
