// Tensor ops that stay correct at any rank: tfjs-wasm 4.22's XNNPACK binary ops and pad
// return wrong values from rank 7 on (and tfjs-webgpu throws there), while lead axes and
// kernel layouts (an output of rank r gives a kernel of rank up to 2r) easily reach it. Axes
// that behave alike are merged first; what still has more than MAX_RANK axes is done in steps
// (or regrouped by transposes) that never hand tfjs more than MAX_RANK axes.
import * as tf from "@tensorflow/tfjs";
import { numel } from "./axes.ts";

/** The most axes any tfjs op is given here (tfjs-webgpu's limit; tfjs-wasm fails above it). */
export const MAX_RANK = 6;
/** The most axes given to pad and reverse: tfjs-webgpu's pad is wrong and its reverse throws above 4. */
const PAD_REVERSE_RANK = 4;

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
  // tfjs broadcasts right up to rank 6 (its wasm and webgpu kernels are corrected in tfjs_fixes.ts).
  if (full.length <= MAX_RANK) return op(a, b);
  const c = coalesce(a.shape, b.shape);
  if (c.out.length <= MAX_RANK) return tf.tidy(() => tf.reshape(op(tf.reshape(a, c.a), tf.reshape(b, c.b)), full));
  // Broadcast patterns alternate: gather the axes both have, a's alone and b's alone (three
  // axes), apply op there, and move the result's axes back.
  const kind = c.out.map((o, i) => (c.a[i] === o ? (c.b[i] === o ? 0 : 1) : 2));
  const order = [0, 1, 2].flatMap((k) => c.out.flatMap((_, i) => (kind[i] === k ? [i] : [])));
  const size = (k: number) => numel(c.out.filter((_, i) => kind[i] === k));
  const side = (t: tf.Tensor, dims: number[], skip: number, grouped: number[]) => {
    const axes = c.out.flatMap((_, i) => (kind[i] === skip ? [] : [i]));
    const own = order.filter((i) => kind[i] !== skip);
    return tf.reshape(transposeB(tf.reshape(t, axes.map((i) => dims[i])), own.map((i) => axes.indexOf(i))), grouped);
  };
  return tf.tidy(() => {
    const ga = side(a, c.a, 2, [size(0), size(1), 1]);
    const gb = side(b, c.b, 1, [size(0), 1, size(2)]);
    const r = tf.reshape(op(ga, gb), order.map((i) => c.out[i]));
    return tf.reshape(transposeB(r, c.out.map((_, i) => order.indexOf(i))), full);
  });
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
  return tf.tidy(() => binary(tf.add, t, tf.zeros(shape, t.dtype)));
}

/** An op on axis `axis` of `t` alone, done on `t` viewed as [before, axis, after] (rank 3). */
function onAxis(t: tf.Tensor, axis: number, op: (v: tf.Tensor) => tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const r = op(tf.reshape(t, [numel(t.shape.slice(0, axis)), t.shape[axis], numel(t.shape.slice(axis + 1))]));
    return tf.reshape(r, [...t.shape.slice(0, axis), r.shape[1]!, ...t.shape.slice(axis + 1)]);
  });
}

/** `tf.slice` at any rank: one axis at a time where more than MAX_RANK axes are cut or kept. */
export function sliceB(t: tf.Tensor, begin: number[], size: number[]): tf.Tensor {
  const ends = size.map((n, i) => (n < 0 ? t.shape[i] - begin[i] : n));
  if (t.rank <= MAX_RANK) return tf.slice(t, begin, ends);
  const cut = t.shape.flatMap((n, i) => (begin[i] === 0 && ends[i] === n ? [] : [i]));
  if (cut.length === 0) return tf.clone(t);
  return tf.tidy(() =>
    cut.reduce((cur, i) => onAxis(cur, i, (v) => tf.slice(v, [0, begin[i], 0], [-1, ends[i], -1])), t)
  );
}

/** `tf.stridedSlice(t, begin, end, strides)` (no masks) at any rank: one cut axis at a time above MAX_RANK. */
export function stridedSliceB(t: tf.Tensor, begin: number[], end: number[], strides: number[]): tf.Tensor {
  if (t.rank <= MAX_RANK) return tf.stridedSlice(t, begin, end, strides);
  const cut = t.shape.flatMap((n, i) => (begin[i] === 0 && end[i] >= n && strides[i] === 1 ? [] : [i]));
  if (cut.length === 0) return tf.clone(t);
  return tf.tidy(() =>
    cut.reduce(
      (cur, i) =>
        onAxis(cur, i, (v) =>
          tf.stridedSlice(v, [0, begin[i], 0], [v.shape[0], end[i], v.shape[2]!], [1, strides[i], 1])),
      t,
    )
  );
}

/** `tf.gather(t, indices, axis)` at any rank (tfjs's gather works on [before, axis, after]). */
export function gatherB(t: tf.Tensor, indices: tf.Tensor, axis: number): tf.Tensor {
  if (t.rank + indices.rank - 1 <= MAX_RANK) return tf.gather(t, indices, axis);
  return tf.tidy(() => {
    const v = tf.reshape(t, [numel(t.shape.slice(0, axis)), t.shape[axis], numel(t.shape.slice(axis + 1))]);
    const g = tf.gather(v, tf.reshape(indices, [-1]), 1);
    return tf.reshape(g, [...t.shape.slice(0, axis), ...indices.shape, ...t.shape.slice(axis + 1)]);
  });
}

/** `tf.concat` at any rank: the parts viewed as [before, axis·after]. */
export function concatB(ts: tf.Tensor[], axis: number): tf.Tensor {
  const s = ts[0].shape, a = axis < 0 ? axis + s.length : axis;
  if (s.length <= MAX_RANK) return tf.concat(ts, a);
  return tf.tidy(() => {
    const outer = numel(s.slice(0, a));
    const r = tf.concat(ts.map((t) => tf.reshape(t, [outer, numel(t.shape.slice(a))])), 1);
    return tf.reshape(r, [...s.slice(0, a), ts.reduce((n, t) => n + t.shape[a], 0), ...s.slice(a + 1)]);
  });
}

/** `tf.zeros(shape)` at any rank (made flat, then given its shape). */
export function zerosB(shape: number[], dtype: "float32" | "int32" = "float32"): tf.Tensor {
  return tf.tidy(() => tf.reshape(tf.zeros([numel(shape)], dtype), shape));
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
  const out = t.shape.map((s, i) => s + widths[i][0] + widths[i][1]);
  return tf.tidy(() => {
    const grouped = tf.reshape(t, groups.map((g) => g.size));
    const w = groups.map((g) => [g.lo * g.inner, g.hi * g.inner] as [number, number]);
    if (groups.length <= PAD_REVERSE_RANK) return tf.reshape(tf.pad(grouped, w), out);
    const padded = w.reduce(
      (cur, [lo, hi], k) => (lo || hi ? onAxis(cur, k, (v) => tf.pad(v, [[0, 0], [lo, hi], [0, 0]])) : cur),
      grouped,
    );
    return tf.reshape(padded, out);
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
    const merged = tf.reshape(t, runs.map((x) => x.size));
    if (runs.length <= MAX_RANK) {
      return tf.reshape(tf.sum(merged, runs.flatMap((x, i) => (x.sum ? [i] : []))), outShape);
    }
    // Kept runs first, summed runs last, then one sum over the flattened tail.
    const idx = runs.map((_, i) => i);
    const kept = idx.filter((i) => !runs[i].sum), gone = idx.filter((i) => runs[i].sum);
    const moved = transposeB(merged, [...kept, ...gone]);
    const flat = [numel(kept.map((i) => runs[i].size)), numel(gone.map((i) => runs[i].size))];
    return tf.reshape(tf.sum(tf.reshape(moved, flat), 1), outShape);
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
  if (runs.length === perm.length) return transposeFew(t, perm);
  const bySource = [...runs].sort((a, b) => a[0] - b[0]);
  const size = (run: number[]) => run.reduce((acc, a) => acc * t.shape[a], 1);
  return tf.tidy(() => {
    const merged = tf.reshape(t, bySource.map(size));
    const moved = transposeFew(merged, runs.map((r) => bySource.indexOf(r)));
    return tf.reshape(moved, perm.map((p) => t.shape[p]));
  });
}

/**
 * A transpose whose axes no longer merge. Above MAX_RANK axes it moves one axis into place at
 * a time: each move is a transpose of [placed, skipped, the axis, rest] (four axes).
 */
function transposeFew(t: tf.Tensor, perm: number[]): tf.Tensor {
  if (perm.length <= MAX_RANK) return tf.transpose(t, perm);
  return tf.tidy(() => {
    let cur = t;
    let order = perm.map((_, i) => i); // order[k]: the source axis now at position k
    for (let k = 0; k < perm.length; k++) {
      const i = order.indexOf(perm[k]);
      if (i === k) continue;
      const s = cur.shape;
      const four = [numel(s.slice(0, k)), numel(s.slice(k, i)), s[i], numel(s.slice(i + 1))];
      const moved = tf.transpose(tf.reshape(cur, four), [0, 2, 1, 3]);
      cur = tf.reshape(moved, [...s.slice(0, k), s[i], ...s.slice(k, i), ...s.slice(i + 1)]);
      order = [...order.slice(0, k), order[i], ...order.slice(k, i), ...order.slice(i + 1)];
    }
    return cur;
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
    const merged = tf.reshape(t, runs.map((x) => x.size));
    const axes = runs.flatMap((x, i) => (x.rev ? [i] : []));
    const r = runs.length <= PAD_REVERSE_RANK
      ? tf.reverse(merged, axes)
      : axes.reduce((cur, a) => onAxis(cur, a, (v) => tf.reverse(v, [1])), merged);
    return tf.reshape(r, t.shape);
  });
}

/**
 * `t` `[lead…, shape…]` masked by each of `count` rows: `[lead…, count, shape…]`, row r keeping
 * the entries whose index i along `rows.axis` has ⌊i / rows.inner⌋ mod count = r. The masking
 * runs on a `[lead, 1, before, axis, after]` view (XNNPACK's broadcasting stops at rank 6; a
 * host-built 0/1 mask, so no int → float cast on WebGPU).
 */
export function maskEachRow(
  t: tf.Tensor,
  lead: number,
  shape: readonly number[],
  count: number,
  rows: { axis: number; inner: number },
): tf.Tensor {
  return tf.tidy(() => {
    const { axis, inner } = rows, n = shape[axis];
    const mask = new Float32Array(count * n);
    for (let i = 0; i < n; i++) mask[(Math.floor(i / inner) % count) * n + i] = 1;
    const ld = t.shape.slice(0, lead);
    const view = tf.reshape(t, [numel(ld), 1, numel(shape.slice(0, axis)), n, numel(shape.slice(axis + 1))]);
    return tf.reshape(tf.mul(view, tf.tensor(mask, [1, count, 1, n, 1])), [...ld, count, ...shape]);
  });
}
