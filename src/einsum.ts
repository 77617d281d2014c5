/**
 * Contractions lowered to reshape / transpose / `matMul` — never `tf.einsum`, which is limited
 * to two operands, slow, and missing on wasm. Operand axes are named by labels; a label shared
 * by both operands and the output is a batch axis, shared by both operands only is contracted,
 * present in one operand only and absent from the output is summed first.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { mulB, sumB, transposeB } from "../rules/_broadcast.ts";

export type Label = number | string;

function check(cond: boolean, msg: string): asserts cond {
  if (!cond) throw new Error(`contract: ${msg}`);
}

function prod(xs: number[]): number {
  let p = 1;
  for (const x of xs) p *= x;
  return p;
}

/** `reshape` that returns the tensor itself when the shape is unchanged (views count in tf.memory). */
export function reshapeTo(t: tf.Tensor, shape: number[]): tf.Tensor {
  return t.shape.length === shape.length && t.shape.every((s, i) => s === shape[i]) ? t : tf.reshape(t, shape);
}

/** `transpose` that skips the identity permutation. */
export function permute(t: tf.Tensor, perm: number[]): tf.Tensor {
  return transposeB(t, perm);
}

/** Sums `t` over labels not in `keep`, then orders the rest as `out`. */
export function contract1(t: tf.Tensor, labels: Label[], out: Label[]): tf.Tensor {
  check(labels.length === t.rank, `labels ${labels} do not match rank ${t.rank}`);
  const sumAxes = labels.flatMap((l, i) => (out.includes(l) ? [] : [i]));
  const kept = labels.filter((l) => out.includes(l));
  for (const l of out) check(kept.includes(l), `output label ${l} not in operand`);
  const summed = sumAxes.length ? sumB(t, sumAxes) : t;
  return permute(summed, out.map((l) => kept.indexOf(l)));
}

/**
 * `out = Σ a[aLabels] · b[bLabels]` with the result's axes ordered as `out`.
 * Sizes of shared labels must agree exactly (no silent broadcasting of size-1 axes).
 */
export function contract2(
  a: tf.Tensor,
  aLabels: Label[],
  b: tf.Tensor,
  bLabels: Label[],
  out: Label[],
): tf.Tensor {
  check(aLabels.length === a.rank, `lhs labels ${aLabels} do not match rank ${a.rank}`);
  check(bLabels.length === b.rank, `rhs labels ${bLabels} do not match rank ${b.rank}`);
  check(new Set(aLabels).size === aLabels.length, `repeated lhs label in ${aLabels}`);
  check(new Set(bLabels).size === bLabels.length, `repeated rhs label in ${bLabels}`);
  const size = new Map<Label, number>();
  aLabels.forEach((l, i) => size.set(l, a.shape[i]));
  bLabels.forEach((l, i) => {
    const s = size.get(l);
    check(s === undefined || s === b.shape[i], `label ${l} has size ${s} in lhs and ${b.shape[i]} in rhs`);
    size.set(l, b.shape[i]);
  });
  for (const l of out) check(size.has(l), `output label ${l} is in neither operand`);
  const outShape = out.map((l) => size.get(l)!);
  // Fewer axes, same result: drop size-1 labels, then fuse runs of labels that stay together.
  // (WebGPU kernels stop at rank 6, and fewer axes mean cheaper transposes everywhere.)
  const keep = (ls: Label[]) => ls.filter((l) => size.get(l) !== 1);
  let [al, bl, ol] = [keep(aLabels), keep(bLabels), keep(out)];
  const runs = fusableRuns(al, bl, ol);
  const fuse = (ls: Label[]) => ls.flatMap((l) => (runs.has(l) ? [runs.get(l)!.name] : runs.inner.has(l) ? [] : [l]));
  for (const [, r] of runs) size.set(r.name, r.members.reduce<number>((p, m) => p * size.get(m)!, 1));
  [al, bl, ol] = [fuse(al), fuse(bl), fuse(ol)];
  const a0 = reshapeTo(a, al.map((l) => size.get(l)!));
  const b0 = reshapeTo(b, bl.map((l) => size.get(l)!));
  return reshapeTo(contractCore(a0, al, b0, bl, ol, size), outShape);
}

/** Runs of ≥2 labels contiguous and in the same order in every list that has any of them. */
function fusableRuns(...lists: Label[][]): Map<Label, { name: string; members: Label[] }> & { inner: Set<Label> } {
  const runs = new Map<Label, { name: string; members: Label[] }>() as
    & Map<Label, { name: string; members: Label[] }>
    & {
      inner: Set<Label>;
    };
  runs.inner = new Set();
  const first = lists.find((l) => l.length) ?? [];
  const all = [...new Set(lists.flat())];
  const where = (l: Label) => lists.map((ls) => ls.indexOf(l));
  const next = (l: Label): Label | null => {
    // The label that follows l in every list containing l, and appears in exactly those lists.
    const pos = where(l);
    let cand: Label | null = null;
    for (const [k, ls] of lists.entries()) {
      if (pos[k] < 0) continue;
      const n = ls[pos[k] + 1];
      if (n === undefined || (cand !== null && n !== cand)) return null;
      cand = n;
    }
    if (cand === null) return null;
    const pc = where(cand);
    return pos.every((p, k) => (p < 0) === (pc[k] < 0)) ? cand : null;
  };
  const used = new Set<Label>();
  for (const start of [...first, ...all]) {
    if (used.has(start)) continue;
    const members = [start];
    for (let n = next(start); n !== null && !used.has(n) && !members.includes(n); n = next(n)) members.push(n);
    if (members.length < 2) continue;
    members.forEach((m) => used.add(m));
    runs.set(start, { name: `fused:${members.join("|")}`, members });
    members.slice(1).forEach((m) => runs.inner.add(m));
  }
  return runs;
}

function contractCore(
  a: tf.Tensor,
  aLabels: Label[],
  b: tf.Tensor,
  bLabels: Label[],
  out: Label[],
  size: Map<Label, number>,
): tf.Tensor {
  // Sum labels private to one operand and absent from the output.
  const aKeep = aLabels.filter((l) => bLabels.includes(l) || out.includes(l));
  const bKeep = bLabels.filter((l) => aLabels.includes(l) || out.includes(l));
  const a1 = aKeep.length < aLabels.length ? contract1(a, aLabels, aKeep) : a;
  const b1 = bKeep.length < bLabels.length ? contract1(b, bLabels, bKeep) : b;
  const batch = aKeep.filter((l) => bKeep.includes(l) && out.includes(l));
  const contr = aKeep.filter((l) => bKeep.includes(l) && !out.includes(l));
  const freeA = aKeep.filter((l) => !bKeep.includes(l));
  const freeB = bKeep.filter((l) => !aKeep.includes(l));
  if (contr.length === 0) {
    // No contraction: broadcast both operands straight into the output's axis order.
    const aligned = (t: tf.Tensor, ls: Label[]) => {
      const order = out.filter((l) => ls.includes(l));
      const moved = permute(t, order.map((l) => ls.indexOf(l)));
      return reshapeTo(moved, out.map((l) => (ls.includes(l) ? size.get(l)! : 1)));
    };
    return mulB(aligned(a1, aKeep), aligned(b1, bKeep));
  }
  const sz = (ls: Label[]) => prod(ls.map((l) => size.get(l)!));
  const [B, M, K, N] = [sz(batch), sz(freeA), sz(contr), sz(freeB)];
  const at = permute(a1, [...batch, ...freeA, ...contr].map((l) => aKeep.indexOf(l)));
  const bt = permute(b1, [...batch, ...contr, ...freeB].map((l) => bKeep.indexOf(l)));
  let r: tf.Tensor;
  if (B === 1) {
    r = tf.matMul(reshapeTo(at, [M, K]) as tf.Tensor2D, reshapeTo(bt, [K, N]) as tf.Tensor2D);
  } else {
    r = tf.matMul(reshapeTo(at, [B, M, K]) as tf.Tensor3D, reshapeTo(bt, [B, K, N]) as tf.Tensor3D);
  }
  const rLabels = [...batch, ...freeA, ...freeB];
  const shaped = reshapeTo(r, rLabels.map((l) => size.get(l)!));
  return permute(shaped, out.map((l) => rLabels.indexOf(l)));
}

/** FLOPs of `contract2` for the given label sizes, without running it. */
export function contract2Flops(
  aLabels: Label[],
  bLabels: Label[],
  out: Label[],
  size: (l: Label) => number,
): number {
  const shared = aLabels.filter((l) => bLabels.includes(l));
  const all = new Set([
    ...shared,
    ...aLabels.filter((l) => out.includes(l)),
    ...bLabels.filter((l) => out.includes(l)),
  ]);
  let p = 2;
  for (const l of all) p *= size(l);
  return p;
}
