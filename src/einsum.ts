/**
 * Contractions lowered to reshape / transpose / `matMul` — never `tf.einsum`, which is limited
 * to two operands, slow, and missing on wasm. Operand axes are named by labels; a label shared
 * by both operands and the output is a batch axis, shared by both operands only is contracted,
 * present in one operand only and absent from the output is summed first.
 * @module
 */
import * as tf from "@tensorflow/tfjs";

export type Label = number | string;

function check(cond: boolean, msg: string): asserts cond {
  if (!cond) throw new Error(`contract: ${msg}`);
}

function prod(xs: number[]): number {
  let p = 1;
  for (const x of xs) p *= x;
  return p;
}

/** `transpose` that skips the identity permutation. */
export function permute(t: tf.Tensor, perm: number[]): tf.Tensor {
  return perm.every((p, i) => p === i) ? t : tf.transpose(t, perm);
}

/** Sums `t` over labels not in `keep`, then orders the rest as `out`. */
export function contract1(t: tf.Tensor, labels: Label[], out: Label[]): tf.Tensor {
  check(labels.length === t.rank, `labels ${labels} do not match rank ${t.rank}`);
  const sumAxes = labels.flatMap((l, i) => (out.includes(l) ? [] : [i]));
  const kept = labels.filter((l) => out.includes(l));
  for (const l of out) check(kept.includes(l), `output label ${l} not in operand`);
  const summed = sumAxes.length ? tf.sum(t, sumAxes) : t;
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
  // Sum labels private to one operand and absent from the output.
  const aKeep = aLabels.filter((l) => bLabels.includes(l) || out.includes(l));
  const bKeep = bLabels.filter((l) => aLabels.includes(l) || out.includes(l));
  const a1 = aKeep.length < aLabels.length ? contract1(a, aLabels, aKeep) : a;
  const b1 = bKeep.length < bLabels.length ? contract1(b, bLabels, bKeep) : b;
  const batch = aKeep.filter((l) => bKeep.includes(l) && out.includes(l));
  const contr = aKeep.filter((l) => bKeep.includes(l) && !out.includes(l));
  const freeA = aKeep.filter((l) => !bKeep.includes(l));
  const freeB = bKeep.filter((l) => !aKeep.includes(l));
  const sz = (ls: Label[]) => prod(ls.map((l) => size.get(l)!));
  const [B, M, K, N] = [sz(batch), sz(freeA), sz(contr), sz(freeB)];
  const at = permute(a1, [...batch, ...freeA, ...contr].map((l) => aKeep.indexOf(l)));
  const bt = permute(b1, [...batch, ...contr, ...freeB].map((l) => bKeep.indexOf(l)));
  let r: tf.Tensor;
  if (K === 1 && contr.length === 0) {
    // Outer product along the free axes: broadcasting beats a K=1 matMul.
    r = tf.mul(tf.reshape(at, [B, M, 1]), tf.reshape(bt, [B, 1, N]));
  } else if (B === 1) {
    r = tf.matMul(tf.reshape(at, [M, K]) as tf.Tensor2D, tf.reshape(bt, [K, N]) as tf.Tensor2D);
  } else {
    r = tf.matMul(tf.reshape(at, [B, M, K]) as tf.Tensor3D, tf.reshape(bt, [B, K, N]) as tf.Tensor3D);
  }
  const rLabels = [...batch, ...freeA, ...freeB];
  const shaped = tf.reshape(r, rLabels.map((l) => size.get(l)!));
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
  const all = new Set([...shared, ...aLabels.filter((l) => out.includes(l)), ...bLabels.filter((l) => out.includes(l))]);
  let p = 2;
  for (const l of all) p *= size(l);
  return p;
}
