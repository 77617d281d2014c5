/**
 * Contractions lowered to reshape / transpose / `matMul` — never `tf.einsum`, which is limited
 * to two operands, slow, and missing on wasm. Operand axes are named by labels; a label shared
 * by both operands and the output is a batch axis, shared by both operands only is contracted,
 * present in one operand only and absent from the output is summed first.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { mulB, sumB, transposeB } from "./tensor_ops.ts";
import { numel } from "./axes.ts";

export type Label = number | string;

function check(cond: boolean, msg: string): asserts cond {
  if (!cond) throw new Error(`contract: ${msg}`);
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

/** Limits of the wasm backend that contractions respect (tests lower them to reach the split path). */
export const WASM_LIMITS = { packedBytes: 256 * 2 ** 20 };

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
  const sz = (ls: Label[]) => numel(ls.map((l) => size.get(l)!));
  const [B, M, K, N] = [sz(batch), sz(freeA), sz(contr), sz(freeB)];
  // tfjs-wasm (XNNPACK) packs the right operand on every matMul; when that allocation fails it
  // logs and returns garbage. Keep each packed operand small by splitting a free axis of b.
  const split = freeB.find((l) => size.get(l)! > 1);
  if (tf.getBackend() === "wasm" && split !== undefined && 4 * B * K * N > WASM_LIMITS.packedBytes) {
    const axis = bKeep.indexOf(split), total = size.get(split)!;
    const pieces = Math.min(total, Math.ceil((4 * B * K * N) / WASM_LIMITS.packedBytes));
    const step = Math.ceil(total / pieces);
    const parts: tf.Tensor[] = [];
    for (let from = 0; from < total; from += step) {
      const n = Math.min(step, total - from);
      const begin = b1.shape.map((_, i) => (i === axis ? from : 0));
      const piece = tf.slice(b1, begin, b1.shape.map((d, i) => (i === axis ? n : d)));
      const sizes = new Map(size).set(split, n);
      parts.push(tf.tidy(() => contractCore(a1, aKeep, piece, bKeep, out, sizes)));
      piece.dispose();
    }
    const r = tf.concat(parts, out.indexOf(split));
    tf.dispose(parts);
    return r;
  }
  const at = permute(a1, [...batch, ...freeA, ...contr].map((l) => aKeep.indexOf(l)));
  const bt = permute(b1, [...batch, ...contr, ...freeB].map((l) => bKeep.indexOf(l)));
  let r: tf.Tensor;
  if (B === 1) {
    r = tf.matMul(reshapeTo(at, [M, K]) as tf.Tensor2D, reshapeTo(bt, [K, N]) as tf.Tensor2D);
  } else if (tf.getBackend() === "wasm" && (B <= 32 || M * K * N >= LOOP_MIN_MKN)) {
    // tfjs-wasm's batched matMul runs at ~2.3 GFLOP/s whatever the sizes, its plain one at ~20:
    // loop over the batch unless the matrices are so small that launches dominate (measured:
    // [64, 288, 1024]·[64, 1024, 320] batched 5.6 s, looped 0.53 s; [64, 8, 16]·[64, 16, 8]
    // batched 0.1 ms, looped 0.9 ms).
    const [as, bs] = [tf.unstack(reshapeTo(at, [B, M, K])), tf.unstack(reshapeTo(bt, [B, K, N]))];
    r = tf.stack(as.map((x, i) => tf.matMul(x as tf.Tensor2D, bs[i] as tf.Tensor2D)));
  } else {
    r = tf.matMul(reshapeTo(at, [B, M, K]) as tf.Tensor3D, reshapeTo(bt, [B, K, N]) as tf.Tensor3D);
  }
  const rLabels = [...batch, ...freeA, ...freeB];
  const shaped = reshapeTo(r, rLabels.map((l) => size.get(l)!));
  return permute(shaped, out.map((l) => rLabels.indexOf(l)));
}

/** Per-matrix M·K·N above which a wasm batch of matMuls runs as a loop (32³: about even). */
const LOOP_MIN_MKN = 32 ** 3;

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

// ---- multi-operand contractions: plan the pairwise order, then run it ----

/** One pairwise step: contract current operands `lhs` and `rhs` (lhs < rhs) into `out`. */
export interface PlanStep {
  lhs: number;
  rhs: number;
  out: Label[];
  flops: number;
  /** Entries of the result. */
  size: number;
}

/** A contraction order with its cost, from `planContraction`. */
export interface Plan {
  steps: PlanStep[];
  /** FLOPs of all steps (a multiply-add counts 2), the final transposition excluded. */
  flops: number;
  /** Entries of the largest intermediate result. */
  largestIntermediate: number;
  output: Label[];
}

export interface PlanOptions {
  /** Steps whose result has more entries are not taken (when another order exists). */
  memoryLimit?: number;
  /** "optimal" searches every order (up to 7 operands), "greedy" takes the cheapest step. */
  strategy?: "optimal" | "greedy" | "auto";
}

function stepCost(a: Label[], b: Label[], keep: Set<Label>, size: (l: Label) => number) {
  const inA = new Set(a), inB = new Set(b);
  const privA = a.filter((l) => !inB.has(l) && !keep.has(l));
  const privB = b.filter((l) => !inA.has(l) && !keep.has(l));
  const skip = new Set([...privA, ...privB]);
  let core = 2;
  for (const l of new Set([...a, ...b])) if (!skip.has(l)) core *= size(l);
  const vol = (ls: Label[]) => ls.reduce<number>((p, l) => p * size(l), 1);
  const out = [...a.filter((l) => keep.has(l)), ...b.filter((l) => keep.has(l) && !inA.has(l))];
  return {
    out,
    flops: core + (privA.length ? vol(a) : 0) + (privB.length ? vol(b) : 0),
    size: vol(out),
  };
}

/**
 * Plans a multi-operand contraction as pairwise steps (like opt_einsum): tfjs-free, so it is
 * cheap to call and gives AUTO its FLOP and memory numbers.
 * @param inputs each operand's labels
 * @param output the result's labels (labels elsewhere are summed)
 * @param size the size of each label
 */
export function planContraction(
  inputs: readonly Label[][],
  output: readonly Label[],
  size: (l: Label) => number,
  options: PlanOptions = {},
): Plan {
  const limit = options.memoryLimit ?? Infinity;
  const strategy = options.strategy === "auto" || !options.strategy
    ? (inputs.length <= 7 ? "optimal" : "greedy")
    : options.strategy;
  const needed = (ops: Label[][], except: number[]) => {
    const keep = new Set<Label>(output);
    ops.forEach((ls, i) => {
      if (!except.includes(i)) { for (const l of ls) keep.add(l); }
    });
    return keep;
  };
  type State = { ops: Label[][]; steps: PlanStep[]; flops: number; largest: number };
  const start: State = { ops: inputs.map((l) => [...l]), steps: [], flops: 0, largest: 0 };
  const advance = (s: State, i: number, j: number, allowOverLimit: boolean): State | null => {
    const c = stepCost(s.ops[i], s.ops[j], needed(s.ops, [i, j]), size);
    if (c.size > limit && !allowOverLimit) return null;
    const ops = s.ops.filter((_, k) => k !== i && k !== j);
    ops.push(c.out);
    return {
      ops,
      steps: [...s.steps, { lhs: i, rhs: j, out: c.out, flops: c.flops, size: c.size }],
      flops: s.flops + c.flops,
      largest: Math.max(s.largest, c.size),
    };
  };
  const pairs = (n: number) => {
    const ps: [number, number][] = [];
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) ps.push([i, j]);
    return ps;
  };
  let best: State | null = null;
  if (strategy === "optimal") {
    const memo = new Map<string, number>();
    const search = (s: State, allowOverLimit: boolean) => {
      if (best && s.flops >= best.flops) return;
      if (s.ops.length <= 1) {
        best = s;
        return;
      }
      const key = s.ops.map((o) => [...o].sort().join(",")).sort().join("|");
      const seen = memo.get(key);
      if (seen !== undefined && seen <= s.flops) return;
      memo.set(key, s.flops);
      for (const [i, j] of pairs(s.ops.length)) {
        const next = advance(s, i, j, allowOverLimit);
        if (next) search(next, allowOverLimit);
      }
    };
    search(start, false);
    if (!best) search(start, true);
  } else {
    let s: State = start;
    while (s.ops.length > 1) {
      let pick: State | null = null;
      for (const allow of [false, true]) {
        for (const [i, j] of pairs(s.ops.length)) {
          const next = advance(s, i, j, allow);
          if (next && (!pick || next.steps[next.steps.length - 1].flops < pick.steps[pick.steps.length - 1].flops)) {
            pick = next;
          }
        }
        if (pick) break;
      }
      s = pick!;
    }
    best = s;
  }
  const b = best as unknown as State;
  return { steps: b.steps, flops: b.flops, largestIntermediate: b.largest, output: [...output] };
}

/** Runs a contraction of several labelled tensors (planned unless a plan is given). */
export function contractMany(tensors: tf.Tensor[], labels: Label[][], output: Label[], plan?: Plan): tf.Tensor {
  if (tensors.length !== labels.length) throw new Error("contractMany: one label list per tensor");
  const size = new Map<Label, number>();
  tensors.forEach((t, i) => labels[i].forEach((l, k) => size.set(l, t.shape[k])));
  const p = plan ?? planContraction(labels, output, (l) => size.get(l)!);
  return tf.tidy(() => {
    const ops = tensors.map((t, i) => ({ t, l: labels[i] }));
    for (const s of p.steps) {
      const [a, b] = [ops[s.lhs], ops[s.rhs]];
      const r = { t: contract2(a.t, a.l, b.t, b.l, s.out), l: s.out };
      ops.splice(s.rhs, 1);
      ops.splice(s.lhs, 1);
      ops.push(r);
    }
    return contract1(ops[0].t, ops[0].l, output);
  });
}
