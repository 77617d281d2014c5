/**
 * Where parameters meet the data: the "uses" that structured derivatives contract. A use is an
 * equation operand that is shared by all rows and depends on the parameters alone (a weight
 * matrix, a bias before broadcasting, an embedding table), while the equation's output carries
 * the rows. Each use is traced back through view primitives (reshape, transpose, rev, slice,
 * scaling, entrywise products with consts) to one parameter, so its axes pair with the
 * parameter's axes.
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { type Eqn, isVar, type LinearProgram, type Var } from "../core/ir.ts";
import { ruleFor } from "../../rules/mod.ts";
import type { ExampleAxes } from "./example_axes.ts";

/** How an axis indexes its parameter: `param index = offset + sign·i`. */
export interface ParamAxis {
  axis: number;
  offset: number;
  sign: 1 | -1;
}

/** An entrywise factor met on the way from the parameter, with its axes in parameter terms. */
export interface Factor {
  shape: number[];
  make: () => tf.Tensor;
  /** Per factor axis (trailing-aligned to the var it multiplied): the parameter axis, or null. */
  axes: (ParamAxis | null)[];
}

export interface Use {
  /** Equation index and operand slot. */
  eqn: number;
  slot: number;
  param: string;
  /**
   * The var that stands for the parameter when the use reaches it through a reshape that merges
   * or splits axes (its axes are then the ones `axes` refer to); absent otherwise.
   */
  virtual?: { id: number; shape: number[] };
  /** Per operand axis: the parameter axis it reads, or null (a size-1 axis a view inserted). */
  axes: (ParamAxis | null)[];
  /**
   * Parameter axes the use reads at one index only (`offset`), which no operand axis carries:
   * size-1 axes that a view (a reshape or squeeze after a slice, unstack, split) dropped.
   */
  pinned: ParamAxis[];
  scale: number;
  factors: Factor[];
}

export interface UseAnalysis {
  /** Uses by parameter, for parameters whose every use is structured. */
  uses: Map<string, Use[]>;
  /** Parameters left to the dense (Jacobian contraction) path, with the reason. */
  dense: Map<string, string>;
  /** Equation → operand slots where the reverse pass stops (the structured uses). */
  stops: Map<number, Set<number>>;
}

type Traced = Omit<Use, "eqn" | "slot">;

/** Follows `v` back through views to a parameter; a reason string when it cannot. */
function traceView(
  p: LinearProgram,
  producer: Map<number, number>,
  paramName: Map<number, string>,
  v: Var,
): Traced | string {
  const identity = (shape: number[]) => shape.map((_, i): ParamAxis | null => ({ axis: i, offset: 0, sign: 1 }));
  let axes = identity(v.shape);
  // Axes of `cur` no axis of `v` reads: each stands for one index (offset) of that axis.
  let pinned: ParamAxis[] = [];
  const factors: Factor[] = [];
  let scale = 1;
  let cur = v;
  const step = (a: ParamAxis | null, view: { axes: (ParamAxis | null)[] }): ParamAxis | null => {
    if (!a) return null;
    const t = view.axes[a.axis];
    if (!t) return null;
    // cur index i = a.offset + a.sign·x;  operand index = t.offset + t.sign·i
    return { axis: t.axis, offset: t.offset + t.sign * a.offset, sign: (t.sign * a.sign) as 1 | -1 };
  };
  for (;;) {
    const name = paramName.get(cur.id);
    if (name !== undefined) return { param: name, axes, pinned, scale, factors };
    const at = producer.get(cur.id);
    if (at === undefined) return "not computed from one parameter";
    const e: Eqn = p.eqns[at];
    const vars = e.in.filter(isVar);
    const rule = ruleFor(e);
    const view = vars.length === 1 ? rule.view?.(e) : null;
    if (!view) {
      // A reshape of the parameter itself: the reshaped var stands for it (same NTK).
      const owner = vars.length === 1 && rule.relabels ? paramName.get(vars[0].var.id) : undefined;
      if (owner !== undefined) {
        return { param: owner, virtual: { id: cur.id, shape: cur.shape }, axes, pinned, scale, factors };
      }
      return `reaches the data through ${e.prim} (${e.source}), which has no structure`;
    }
    if (view.factor) {
      // The factor lives on `cur`'s axes (trailing-aligned); map it like the use's axes.
      const { shape, make } = view.factor;
      const axesOf = identity(cur.shape).slice(cur.shape.length - shape.length);
      factors.push({ shape, make, axes: axesOf.map((a, i) => (shape[i] === 1 ? null : a)) });
    }
    axes = axes.map((a) => step(a, view));
    for (const f of factors) f.axes = f.axes.map((a) => step(a, view));
    // An operand axis the view drops is read at one index: size 1, so index 0 (pinned there).
    // Dropping it from the use would read the use as constant along that axis.
    const operand = vars[0].var.shape;
    const read = new Set(view.axes.flatMap((t) => (t ? [t.axis] : [])));
    const dropped = operand.flatMap((n, j) => (read.has(j) ? [] : [{ n, j }]));
    if (dropped.some(({ n }) => n !== 1)) return `${e.prim} (${e.source}) drops an axis it reads more than once`;
    pinned = [
      ...pinned.flatMap((a) => step(a, view) ?? []),
      ...dropped.map(({ j }): ParamAxis => ({ axis: j, offset: 0, sign: 1 })),
    ];
    scale *= view.scale;
    cur = vars[0].var;
  }
}

/** Finds every use of every parameter, and which parameters structured derivatives can take. */
export function analyzeUses(p: LinearProgram, rows: ExampleAxes): UseAnalysis {
  const producer = new Map<number, number>();
  p.eqns.forEach((e, i) => producer.set(e.out.id, i));
  const paramName = new Map([...p.params].map(([n, v]) => [v.id, n]));
  const uses = new Map<string, Use[]>();
  const dense = new Map<string, string>();
  const denseUpstream = (v: Var, reason: string) => {
    for (const name of upstreamParams(p, producer, paramName, v)) if (!dense.has(name)) dense.set(name, reason);
  };
  p.eqns.forEach((e, i) => {
    const tagged = rows.tags.get(e.out.id);
    e.in.forEach((o, slot) => {
      if (!isVar(o) || o.var.inputDependent || rows.tags.get(o.var.id)) return;
      if (!tagged) {
        // Still among the parameters alone, or meeting data whose rows are mixed: dense there.
        if (e.out.inputDependent) denseUpstream(o.var, `rows are mixed where it meets the data (${e.source})`);
        return;
      }
      const traced = traceView(p, producer, paramName, o.var);
      if (typeof traced === "string") return denseUpstream(o.var, traced);
      const rule = ruleFor(e);
      if (!rule.structure || !rule.jacobian) {
        dense.set(traced.param, `${e.prim} (${e.source}) has no structure rule`);
        return;
      }
      const s = rule.structure(e, slot);
      const tag = rows.tags.get(e.out.id)!;
      if ([...s.constantBlockDiagonal, ...s.blockDiagonal].some(([a]) => a === tag.axis)) {
        dense.set(traced.param, `${e.prim} (${e.source}) pairs the example axis with the parameter`);
        return;
      }
      uses.set(traced.param, [...(uses.get(traced.param) ?? []), { eqn: i, slot, ...traced }]);
    });
  });
  // Every use of a parameter must see it the same way (directly, or through one reshape).
  for (const [name, list] of uses) {
    if (list.some((u) => u.virtual?.id !== list[0].virtual?.id)) dense.set(name, "its uses reshape it differently");
  }
  // A parameter reaching the output without meeting the data (f returns it) is dense too.
  for (const name of p.params.keys()) if (!uses.has(name) && !dense.has(name)) dense.set(name, "never meets the data");
  const a: UseAnalysis = { uses, dense, stops: new Map() };
  unifyAnalyses([a]);
  return a;
}

/**
 * Makes analyses agree: a parameter dense on one side (x1 or x2) is dense on both, and the stops
 * follow the structured uses that remain. (Both sides normally have the same program.)
 */
export function unifyAnalyses(analyses: UseAnalysis[]): void {
  const dense = new Map<string, string>();
  for (const a of analyses) for (const [n, r] of a.dense) dense.set(n, r);
  for (const a of analyses) {
    for (const n of a.uses.keys()) {
      if (analyses.some((b) => !b.uses.has(n)) && !dense.has(n)) dense.set(n, "its uses differ between x1 and x2");
    }
  }
  for (const a of analyses) {
    for (const [n, r] of dense) {
      a.dense.set(n, r);
      a.uses.delete(n);
    }
    a.stops.clear();
    for (const list of a.uses.values()) {
      for (const u of list) a.stops.set(u.eqn, new Set([...(a.stops.get(u.eqn) ?? []), u.slot]));
    }
  }
}

function upstreamParams(
  p: LinearProgram,
  producer: Map<number, number>,
  paramName: Map<number, string>,
  v: Var,
): string[] {
  const out = new Set<string>();
  const stack = [v];
  const seen = new Set<number>();
  while (stack.length) {
    const cur = stack.pop()!;
    if (seen.has(cur.id)) continue;
    seen.add(cur.id);
    const name = paramName.get(cur.id);
    if (name !== undefined) out.add(name);
    const at = producer.get(cur.id);
    if (at !== undefined) { for (const o of p.eqns[at].in) if (isVar(o)) stack.push(o.var); }
  }
  return [...out];
}
