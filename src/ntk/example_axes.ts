/**
 * The example axis followed back through a traced program: which axis of each var carries the
 * output's rows (examples), by each rule's `exampleAxis`.
 * @module
 */
import { type ExampleAxis, isVar, type LinearProgram, type Var } from "../core/ir.ts";
import { sameExampleAxis } from "../core/axes.ts";
import { ruleFor } from "../../rules/mod.ts";

/** Where the output's rows live in each var. */
export interface ExampleAxes {
  /** Number of rows R (the output's leading axis). */
  count: number;
  /** Var id → its row axis, or null when every row may read all of it. */
  tags: Map<number, ExampleAxis | null>;
  /** Input-dependent vars that lost the rows, with the equation that lost them. */
  lost: { eqn: number; prim: string; source: string }[];
}

/**
 * Follows the output's leading axis back through the program. A var is tagged with an axis
 * when each of its entries feeds only the output rows its tag names; otherwise it is shared
 * (null), and its cotangent carries an explicit row axis in the reverse pass.
 */
export function inferExampleAxes(p: LinearProgram): ExampleAxes {
  const count = p.output.shape[0];
  const proposals = new Map<number, (ExampleAxis | null)[]>();
  const propose = (v: Var, t: ExampleAxis | null) => {
    const ok = t && t.axis < v.shape.length && v.shape[t.axis] === t.outer * count * t.inner;
    proposals.set(v.id, [...(proposals.get(v.id) ?? []), ok ? t : null]);
  };
  const tags = new Map<number, ExampleAxis | null>();
  const resolve = (v: Var): ExampleAxis | null => {
    if (tags.has(v.id)) return tags.get(v.id)!;
    const ps = proposals.get(v.id) ?? [null];
    const t = ps.every((x) => sameExampleAxis(x, ps[0])) ? ps[0] : null;
    tags.set(v.id, t);
    return t;
  };
  propose(p.output, { axis: 0, outer: 1, inner: 1 });
  const lostBy = new Map<number, number>(); // var id → eqn index that proposed null
  for (let i = p.eqns.length - 1; i >= 0; i--) {
    const e = p.eqns[i];
    const out = resolve(e.out);
    e.in.forEach((o, slot) => {
      if (!isVar(o)) return;
      const t = out ? ruleFor(e).exampleAxis(e, { count, out }, slot) : null;
      if (t === null && out && o.var.inputDependent) lostBy.set(o.var.id, i);
      propose(o.var, t);
    });
  }
  for (const v of p.params.values()) resolve(v);
  const lost: ExampleAxes["lost"] = [];
  const seen = new Set<number>();
  for (const e of p.eqns) {
    for (const o of e.in) {
      if (!isVar(o) || seen.has(o.var.id)) continue;
      seen.add(o.var.id);
      if (o.var.inputDependent && resolve(o.var) === null) {
        const at = lostBy.get(o.var.id);
        const eq = at !== undefined ? p.eqns[at] : e;
        lost.push({ eqn: at ?? -1, prim: eq.prim, source: eq.source });
      }
    }
  }
  return { count, tags, lost };
}
