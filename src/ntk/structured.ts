/**
 * Structured derivatives (the paper's §3.3–4, appendix C): for every parameter W and every pair
 * of its uses y_k (at x1) and y_l (at x2),
 *
 *   Θ += df/dy_k · dy_k/dW · (dy_l/dW)ᵀ · (df/dy_l)ᵀ
 *
 * with df/dy from one batched per-row reverse pass (O cotangents per example) and dy/dW never
 * built in full: each rule's structure says which axes of y pair with which axes of W (they
 * share an einsum label), which are constant (dropped), and which are index lookups (an
 * equality matrix, or a gather). The four factors and those extra terms are contracted in the
 * order the planner finds cheapest. Parameters whose path to the data has no structure are
 * left to Jacobian contraction, and `info.structure` says which and why.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type Eqn, type ExampleAxis, type LinearProgram, operandShape } from "../core/ir.ts";
import { contract2, contract2Flops, contractMany, type Label, planContraction } from "../core/einsum.ts";
import { type ExampleAxes, inferExampleAxes } from "./example_axes.ts";
import { type Layout, layoutLabels } from "../core/layout.ts";
import { gatherB, mulB, reverseB, sliceB, subB, transposeB, zerosB } from "../core/tensor_ops.ts";
import { keptAxes, type Structure } from "../core/structure.ts";
import { floatMask } from "../core/tensor_util.ts";
import { ruleFor } from "../../rules/mod.ts";
import { splitRowsShape } from "../core/axes.ts";
import { reverse, type Reversed } from "./passes.ts";
import type { Method, MethodInput } from "./types.ts";
import { KernelSum } from "./_kernel_sum.ts";
import { rowBasis } from "./jacobian.ts";
import { analyzeUses, type ParamAxis, unifyAnalyses, type Use, type UseAnalysis } from "./_uses.ts";

/** What `structuredNtk` reports about which parameters it could structure. */
export interface StructureReport {
  /** Parameters whose derivative was kept in its structure. */
  structured: string[];
  /** Parameters left to Jacobian contraction, each with the reason. */
  dense: { param: string; reason: string }[];
}

/** One labelled operand of a pair's contraction; `starts` gives the parameter index at position 0 of each W label. */
interface Operand {
  t: tf.Tensor;
  labels: Label[];
  starts: Map<Label, number>;
}

/** A use on one side, ready to label: its cotangent df/dy [O, ...y] and trimmed Jacobian. */
interface SideUse {
  use: Use;
  df: tf.Tensor;
  jt: tf.Tensor;
  s: Structure;
  y: number[];
  wShape: number[];
  rowAxis: ExampleAxis;
  rows: number;
}

/** The range of a parameter axis an operand axis covers, read forwards. */
function spanOf(ax: ParamAxis, n: number): { start: number; length: number } {
  return { start: ax.sign === 1 ? ax.offset : ax.offset - (n - 1), length: n };
}

/**
 * Labels one side's operands for a pair: df/dy (its y axes; paired axes take the parameter
 * axis's label `W<b>`; the row axis splits into outer, row, inner), J̃ (kept y axes, then kept w
 * axes as `W<b>`), and the factors met on the way from the parameter. Axes that read the
 * parameter backwards are reversed so that every operand reads it forwards.
 */
function labelSide(u: SideUse, p: string, rowLabel: Label, outLabels: Label[], perRowOut: number[]) {
  const { s, use } = u;
  const { y: keptY, w: keptW } = keptAxes(s, u.y.length, use.axes.length);
  let df = tf.reshape(u.df, [...perRowOut, ...u.y]);
  let jt = u.jt;
  const spans = new Map<number, { start: number; length: number }>();
  for (const ax of use.pinned) spans.set(ax.axis, spanOf(ax, 1));
  for (const [b, ax] of use.axes.entries()) {
    if (!ax) continue;
    spans.set(ax.axis, spanOf(ax, u.wShape[b]));
    if (ax.sign === 1) continue;
    const pair = [...s.constantBlockDiagonal, ...s.blockDiagonal].find(([, w]) => w === b);
    if (pair) df = reverseB(df, [perRowOut.length + pair[0]]);
    const bd = s.blockDiagonal.find(([, w]) => w === b);
    if (bd) jt = reverseB(jt, [keptY.indexOf(bd[0])]);
    const k = keptW.indexOf(b);
    if (k >= 0) jt = reverseB(jt, [keptY.length + k]);
  }
  const wLabel = (b: number): Label => (use.axes[b] ? `W${use.axes[b]!.axis}` : `${p}u${b}`);
  const yLabel: Label[] = u.y.map((_, a) => `${p}y${a}`);
  for (const [a, b] of [...s.constantBlockDiagonal, ...s.blockDiagonal]) yLabel[a] = wLabel(b);
  const row = u.rowAxis.axis;
  const rowLabels: Label[] = [`${p}ro`, rowLabel, `${p}ri`];
  const withRows = (axes: number[]) => axes.flatMap((a) => (a === row ? rowLabels : [yLabel[a]]));
  const split = (t: tf.Tensor, at: number) => tf.reshape(t, splitRowsShape(t.shape, at, u.rowAxis, u.rows));
  const starts = new Map<Label, number>([...spans].map(([axis, sp]) => [`W${axis}`, sp.start]));
  const ops: Operand[] = [
    { t: split(df, perRowOut.length + row), labels: [...outLabels, ...withRows(u.y.map((_, a) => a))], starts },
  ];
  const jRow = keptY.indexOf(row);
  ops.push({ t: jRow >= 0 ? split(jt, jRow) : jt, labels: [...withRows(keptY), ...keptW.map(wLabel)], starts });
  use.factors.forEach((f, i) => {
    let t = f.make();
    const fStarts = new Map<Label, number>();
    const labels = f.axes.map((ax, j): Label => {
      if (!ax) return `${p}f${i}_${j}`;
      if (ax.sign === -1) t = reverseB(t, [j]);
      fStarts.set(`W${ax.axis}`, spanOf(ax, f.shape[j]).start);
      return `W${ax.axis}`;
    });
    ops.push({ t, labels, starts: fStarts });
  });
  let selection: { labels: Label[]; indices: tf.Tensor; param: number } | null = null;
  if (s.selection) {
    const { yAxes, wAxis, indices } = s.selection;
    const ax = use.axes[wAxis]!;
    // Parameter indices read at each selected position, the row axis split like df's.
    let idx = ax.sign === 1
      ? tf.add(indices, tf.scalar(ax.offset, "int32"))
      : tf.sub(tf.scalar(ax.offset, "int32"), indices);
    const r = yAxes.indexOf(row);
    if (r >= 0) idx = split(idx, r);
    selection = { labels: withRows(yAxes), indices: idx, param: ax.axis };
  }
  return { ops, spans, selection, scale: use.scale };
}

/** Slices every operand carrying `label` to the parameter range [lo, hi). */
function sliceLabel(ops: Operand[], label: Label, lo: number, hi: number): Operand[] {
  return ops.map((o) => {
    const k = o.labels.indexOf(label);
    if (k < 0) return o;
    const from = lo - (o.starts.get(label) ?? 0);
    if (from === 0 && hi - lo === o.t.shape[k]) return o;
    const begin = o.t.shape.map((_, i) => (i === k ? from : 0));
    const size = o.t.shape.map((s, i) => (i === k ? hi - lo : s));
    return { ...o, t: sliceB(o.t, begin, size) };
  });
}

/**
 * Gathers every operand carrying `label` at parameter `indices`, the axis relabelled by
 * `idxLabels`; positions outside an operand's range are masked out. When no operand carries the
 * label (that side is constant along it), the in-range mask alone joins.
 */
function gatherLabel(
  ops: Operand[],
  label: Label,
  indices: tf.Tensor,
  idxLabels: Label[],
  span: { start: number; length: number } | null,
): Operand[] {
  const mask = (start: number, length: number) => {
    const local = tf.sub(indices, tf.scalar(start, "int32"));
    const valid = floatMask(tf.logicalAnd(tf.greaterEqual(local, 0), tf.less(local, length)));
    return { local: tf.clipByValue(local, 0, length - 1), valid };
  };
  if (!ops.some((o) => o.labels.includes(label))) {
    return span ? [...ops, { t: mask(span.start, span.length).valid, labels: idxLabels, starts: new Map() }] : ops;
  }
  // An index label the operand already carries (the shared row label of a diagonal example
  // axis) is renamed, and an identity ties the two: an operand never repeats a label.
  const renamed = new Set<Label>();
  const gathered = ops.map((o) => {
    const k = o.labels.indexOf(label);
    if (k < 0) return o;
    const { local, valid } = mask(o.starts.get(label) ?? 0, o.t.shape[k]);
    const g = gatherB(o.t, local, k);
    const own = idxLabels.map((l) => (o.labels.includes(l) && l !== label ? (renamed.add(l), `${l}:g`) : l));
    const labels = [...o.labels.slice(0, k), ...own, ...o.labels.slice(k + 1)];
    const shape = labels.map((l, i) => (own.includes(l) ? g.shape[i] : 1));
    return { t: mulB(g, tf.reshape(valid, shape)), labels, starts: o.starts };
  });
  for (const l of renamed) {
    const n = indices.shape[idxLabels.indexOf(l)];
    gathered.push({ t: tf.eye(n), labels: [l, `${l}:g`], starts: new Map() });
  }
  return gathered;
}

/**
 * `[ia == ib]` over the union of both index tensors' labels: a label both carry (a diagonal
 * example axis, shared by x1's and x2's rows) is one axis, compared entry by entry, not an
 * outer product. Built through a flat difference, so no rank reaches tfjs's limits.
 */
function indexEquality(ia: tf.Tensor, aLabels: Label[], ib: tf.Tensor, bLabels: Label[]): Operand {
  const labels = mergeLabels(aLabels, bLabels);
  const sizes = new Map<Label, number>();
  aLabels.forEach((l, i) => sizes.set(l, ia.shape[i]));
  bLabels.forEach((l, i) => sizes.set(l, ib.shape[i]));
  // Each side's axes in the union's order (already so when merged), size 1 where it lacks a label.
  const place = (t: tf.Tensor, own: Label[]) => {
    const perm = labels.filter((l) => own.includes(l)).map((l) => own.indexOf(l));
    const moved = perm.every((p, i) => p === i) ? t : transposeB(t, perm);
    return tf.reshape(moved, labels.map((l) => (own.includes(l) ? sizes.get(l)! : 1)));
  };
  // int32 throughout: no Cast (tfjs-webgpu's is unreliable).
  const d = subB(place(ia, aLabels), place(ib, bLabels));
  const e = tf.reshape(floatMask(tf.equal(tf.reshape(d, [-1]), tf.scalar(0, "int32"))), d.shape);
  return { t: e, labels, starts: new Map() };
}

/**
 * The union of two label lists in which both keep their order (shared labels met in the same
 * order), so that neither side's indices need a transpose: on webgpu, int32 indices moved by a
 * transpose here came out as zeros. Else a's order, then b's own labels.
 */
function mergeLabels(a: Label[], b: Label[]): Label[] {
  const out: Label[] = [];
  let [i, j] = [0, 0];
  while (i < a.length || j < b.length) {
    if (i < a.length && !b.includes(a[i])) out.push(a[i++]);
    else if (j < b.length && !a.includes(b[j])) out.push(b[j++]);
    else if (i < a.length && j < b.length && a[i] === b[j]) out.push(a[i++]), j++;
    else return [...a, ...b.filter((l) => !a.includes(l))];
  }
  return out;
}

/** The contribution of one pair of uses (one at x1, one at x2) to the kernel, in `out` order. */
function pairTerm(
  k: SideUse,
  l: SideUse,
  m: MethodInput,
  paramShape: number[],
  flops: { n: number },
): tf.Tensor | null {
  return tf.tidy((): tf.Tensor | undefined => {
    const { one, two, out } = layoutLabels(m.layout);
    const s1 = m.p1.output.shape, s2 = (m.p2 ?? m.p1).output.shape;
    const a = labelSide(k, "a", one[0], one.slice(1), s1.slice(1));
    const b = labelSide(l, "b", two[0], two.slice(1), s2.slice(1));
    let [aOps, bOps] = [a.ops, b.ops];
    const extra: Operand[] = [];
    let factor = a.scale * b.scale;
    for (let ax = 0; ax < paramShape.length; ax++) {
      const label = `W${ax}`;
      const whole = { start: 0, length: paramShape[ax] };
      const [sa, sb] = [a.spans.get(ax) ?? whole, b.spans.get(ax) ?? whole];
      const lo = Math.max(sa.start, sb.start), hi = Math.min(sa.start + sa.length, sb.start + sb.length);
      if (hi <= lo) return undefined; // the two uses read disjoint parts of the parameter
      const selA = a.selection?.param === ax ? a.selection : null;
      const selB = b.selection?.param === ax ? b.selection : null;
      // A side's own factors along a looked-up axis are read at its indices.
      if (selA) aOps = gatherLabel(aOps, label, selA.indices, selA.labels, null);
      if (selB) bOps = gatherLabel(bOps, label, selB.indices, selB.labels, null);
      if (selA && selB) {
        // Both sides look rows up by index: the pair term is the index-equality matrix.
        const e = indexEquality(selA.indices, selA.labels, selB.indices, selB.labels);
        extra.push(e);
      } else if (selA) {
        bOps = gatherLabel(bOps, label, selA.indices, selA.labels, sb);
      } else if (selB) {
        aOps = gatherLabel(aOps, label, selB.indices, selB.labels, sa);
      } else {
        [aOps, bOps] = [sliceLabel(aOps, label, lo, hi), sliceLabel(bOps, label, lo, hi)];
        // An axis both sides are constant along sums to its length.
        if (![...aOps, ...bOps].some((o) => o.labels.includes(label))) factor *= hi - lo;
      }
    }
    const ops = [...aOps, ...extra, ...bOps];
    const labels = ops.map((o) => o.labels);
    const size = new Map<Label, number>();
    ops.forEach((o) => o.labels.forEach((lb, i) => size.set(lb, o.t.shape[i])));
    const plan = planContraction(labels, out, (lb) => size.get(lb)!);
    flops.n += plan.flops;
    const r = contractMany(ops.map((o) => o.t), labels, out, plan);
    return factor === 1 ? r : mulB(r, tf.scalar(factor));
  }) ?? null;
}

/** Parameter cotangents from a reverse pass, collected per parameter as the uses complete. */
function collect(
  p: LinearProgram,
  rows: ExampleAxes,
  uses: UseAnalysis,
  m: MethodInput,
): Generator<Reversed> {
  const basis = rowBasis(p.output.shape);
  const gen = reverse(p, basis, 1, rows, m.stats, uses.stops);
  return (function* () {
    try {
      yield* gen;
    } finally {
      basis.dispose();
    }
  })();
}

/** The per-row Jacobian of a parameter no path of `p` reached: zeros. */
function zeroJacobian(p: LinearProgram, rows: ExampleAxes, param: string): tf.Tensor {
  const o = p.output.shape.slice(1).reduce((a, b) => a * b, 1);
  return zerosB([o, rows.count, ...p.params.get(param)!.shape]);
}

/** Frees what each side still holds (on a failure, or uses never paired). */
function disposeSides(state: { uses: Map<string, SideUse[]>; dense: Map<string, tf.Tensor> }[]): void {
  for (const st of state) {
    for (const list of st.uses.values()) for (const u of list) tf.dispose([u.df, u.jt]);
    tf.dispose([...st.dense.values()]);
  }
}

/** Each use of an analysis by its place in the program, "eqn:slot". */
function usesByPlace(a: UseAnalysis): Map<string, Use> {
  const at = new Map<string, Use>();
  for (const list of a.uses.values()) for (const u of list) at.set(`${u.eqn}:${u.slot}`, u);
  return at;
}

/** One side's finished use of a parameter: its df, and J̃ and structure from the rule. */
function sideUseOf(e: Eqn, slot: number, df: tf.Tensor, use: Use, rows: ExampleAxes): SideUse {
  const rule = ruleFor(e);
  return {
    use,
    df,
    jt: rule.jacobian!(e, slot),
    s: rule.structure!(e, slot),
    y: e.out.shape,
    wShape: operandShape(e, slot),
    rowAxis: rows.tags.get(e.out.id)!,
    rows: rows.count,
  };
}

/** The kernel term of a parameter without structure: its two dense per-row Jacobians contracted. */
function denseTerm(
  j1: tf.Tensor,
  j2: tf.Tensor,
  s1: readonly number[],
  s2: readonly number[],
  layout: Layout,
  flops: { n: number },
): tf.Tensor {
  const { one, two, out } = layoutLabels(layout);
  const view = (j: tf.Tensor, s: readonly number[]) => tf.reshape(j, [...s.slice(1), s[0], -1]);
  const l1: Label[] = [...one.slice(1), one[0], "p"], l2: Label[] = [...two.slice(1), two[0], "p"];
  const size = new Map<Label, number>();
  const [v1, v2] = [view(j1, s1), view(j2, s2)];
  l1.forEach((lb, i) => size.set(lb, v1.shape[i]));
  l2.forEach((lb, i) => size.set(lb, v2.shape[i]));
  flops.n += contract2Flops(l1, l2, out, (lb) => size.get(lb)!);
  const term = tf.tidy(() => contract2(v1, l1, v2, l2, out));
  tf.dispose([v1, v2]);
  return term;
}

export const structuredNtk: Method = (m) => {
  const { p1, p2, layout, stats } = m;
  const sides = p2 ? [p1, p2] : [p1];
  const rows = sides.map(inferExampleAxes);
  const analyses = sides.map((p, i) => analyzeUses(p, rows[i]));
  unifyAnalyses(analyses);
  const report: StructureReport = {
    structured: [...analyses[0].uses.keys()],
    dense: [...analyses[0].dense].map(([param, reason]) => ({ param, reason })),
  };
  m.report.structure = report;
  const s1 = p1.output.shape, s2 = (p2 ?? p1).output.shape;
  const sum = new KernelSum(stats);
  const add = (t: tf.Tensor | null) => sum.add(t);
  const flops = { n: 0 };
  // Per side: finished uses (df, and its J̃) and dense Jacobians, by parameter.
  type Side = { uses: Map<string, SideUse[]>; dense: Map<string, tf.Tensor> };
  const state: Side[] = sides.map(() => ({ uses: new Map(), dense: new Map() }));
  const useAt = analyses.map(usesByPlace);
  const need = (i: number, param: string) => analyses[i].uses.get(param)?.length ?? 0;
  const ready = (param: string) =>
    state.every((st, i) => (st.uses.get(param)?.length ?? 0) === need(i, param) && need(i, param) > 0);
  const total = p1.params.size;
  let done = 0;
  const finishStructured = (param: string) => {
    const [l1, l2] = [state[0].uses.get(param)!, state[state.length - 1].uses.get(param)!];
    const shape = l1[0].use.virtual?.shape ?? p1.params.get(param)!.shape;
    for (const k of l1) for (const l of l2) add(pairTerm(k, l, m, shape, flops));
    for (const st of state) {
      for (const u of st.uses.get(param) ?? []) tf.dispose([u.df, u.jt]);
      st.uses.delete(param);
    }
    m.progress?.(++done / Math.max(1, total));
  };
  const finishDense = (param: string) => {
    add(denseTerm(state[0].dense.get(param)!, state[state.length - 1].dense.get(param)!, s1, s2, layout, flops));
    for (const st of state) {
      st.dense.get(param)?.dispose();
      st.dense.delete(param);
    }
    m.progress?.(++done / Math.max(1, total));
  };
  const gens = sides.map((p, i) => collect(p, rows[i], analyses[i], m));
  try {
    const live = gens.map(() => true);
    while (live.some((x) => x)) {
      for (const [i, g] of gens.entries()) {
        if (!live[i]) continue;
        const r = g.next();
        if (r.done) {
          live[i] = false;
          continue;
        }
        const y = r.value;
        if ("param" in y) {
          if (!analyses[i].dense.has(y.param)) {
            y.ct?.dispose(); // a structured parameter: every path to it stopped at a use
            continue;
          }
          state[i].dense.set(y.param, y.ct ?? zeroJacobian(sides[i], rows[i], y.param));
          if (state.every((st) => st.dense.has(y.param))) finishDense(y.param);
          continue;
        }
        const use = useAt[i].get(`${y.eqn}:${y.slot}`)!;
        const sideUse = sideUseOf(sides[i].eqns[y.eqn], y.slot, y.ct, use, rows[i]);
        state[i].uses.set(use.param, [...(state[i].uses.get(use.param) ?? []), sideUse]);
        if (ready(use.param)) finishStructured(use.param);
      }
    }
  } finally {
    disposeSides(state);
    for (const g of gens) g.return(undefined);
  }
  stats.flops += flops.n;
  return sum.mean(layout, s1, s2);
};
