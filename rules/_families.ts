/**
 * Families of rules that share their shape logic, so that a rule file only states what is
 * particular to its primitive.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Eqn, ExampleAxis, PrimitiveName } from "../src/core/ir.ts";
import { isVar } from "../src/core/ir.ts";
import type { ExampleRows, LinearRule } from "./_types.ts";
import { numel } from "../src/core/axes.ts";
import { addAll } from "../src/core/tensor_ops.ts";

/** Var operands of an elementwise primitive have the output's shape, so rows stay put. */
export function sameRows(_eqn: Eqn, rows: ExampleRows): ExampleAxis {
  return rows.out;
}

/** FLOPs of touching every output entry once per basis vector. */
export function elementwiseFlops(eqn: Eqn, basis: number): number {
  return basis * numel(eqn.out.shape);
}

/** Zero FLOPs: data movement only. */
export function noFlops(): number {
  return 0;
}

/**
 * A linear map that is the identity on values (copy, convert_element_type): apply and
 * transpose pass the tensor through.
 */
export function identityRule<P extends PrimitiveName>(): LinearRule<P> {
  return {
    apply: (_eqn, [t]) => tf.clone(t!),
    transpose: (_eqn, ct) => tf.clone(ct),
    exampleAxis: sameRows,
    flops: noFlops,
  };
}

/** Sum of the non-null tangents (null ones are zero). */
export function sumOf(ts: (tf.Tensor | null | undefined)[]): tf.Tensor {
  const live = ts.filter((t): t is tf.Tensor => t != null);
  if (live.length === 0) throw new Error("sumOf: no tangent");
  return addAll(live);
}

/** Indices of var operands. */
export function varSlotsOf(eqn: Eqn): number[] {
  return eqn.in.flatMap((o, i) => (isVar(o) ? [i] : []));
}
