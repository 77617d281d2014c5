/**
 * AUTO: picks the method with the smallest estimated cost from the programs' FLOP counts
 * (the paper's Table 2 with this program's numbers).
 * @module
 */
import type { LinearProgram } from "../ir.ts";
import { ruleOf } from "../../rules/mod.ts";
import { numel } from "../../rules/_axes.ts";
import type { MethodInput } from "./_types.ts";

/** FLOPs of one forward (JVP) pass over the whole batch with a single tangent. */
export function passFlops(p: LinearProgram): number {
  return p.eqns.reduce((acc, e) => acc + ruleOf(e.prim).flops(e as never, 1), 0);
}

export interface CostEstimate {
  jacobian: number;
  ntkvp: number;
}

/** Estimated FLOPs of each method for this input. */
export function estimateCosts({ p1, p2 }: MethodInput): CostEstimate {
  const q = p2 ?? p1;
  const [s1, s2] = [p1.output.shape, q.output.shape];
  const o = numel(s1.slice(1));
  const params = [...p1.params.values()].reduce((a, v) => a + numel(v.shape), 0);
  const [f1, f2] = [passFlops(p1), p2 ? passFlops(q) : 0];
  return {
    // O per-row VJPs on each side, then the N1·N2·O²·P contraction.
    jacobian: o * (f1 + f2) + 2 * s1[0] * s2[0] * o * o * params,
    // N2·O VJPs at x2 and as many JVPs at x1.
    ntkvp: numel(s2) * (passFlops(q) + f1),
  };
}

export function chooseMethod(input: MethodInput): "jacobian" | "ntkvp" {
  const c = estimateCosts(input);
  return c.ntkvp < c.jacobian ? "ntkvp" : "jacobian";
}
