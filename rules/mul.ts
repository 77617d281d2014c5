// mul(v, c) or mul(c, v): a var of the output's shape times a const that broadcasts to it
// (numpy rules, trailing axes aligned). Linear in the var; self-adjoint.
import type * as tf from "@tensorflow/tfjs";
import { constAt, type Eqn } from "../src/core/ir.ts";
import { identityView } from "./_view.ts";
import type { LinearRule } from "./_types.ts";
import { mulB } from "../src/core/tensor_ops.ts";
import { elementwiseFlops, sameRows, varSlotsOf } from "./_families.ts";
import { elementwiseJacobian, elementwiseStructure } from "./_structure_util.ts";

/** The const factor of a `mul`/`div` equation. */
export function factorOf(eqn: Eqn): tf.Tensor {
  const [v] = varSlotsOf(eqn);
  return constAt(eqn, 1 - v);
}

export const mul: LinearRule<"mul"> = {
  apply: (eqn, tangents) => mulB(tangents[varSlotsOf(eqn)[0]]!, factorOf(eqn)),
  transpose: (eqn, ct) => mulB(ct, factorOf(eqn)),
  exampleAxis: sameRows,
  flops: elementwiseFlops,
  // Diagonal on every axis; constant where the factor broadcasts. J̃ is the factor.
  structure: (eqn) => elementwiseStructure(eqn.out.shape, factorOf(eqn).shape),
  jacobian: (eqn) => elementwiseJacobian(factorOf(eqn)),
  // (c ⊙ W) keeps W's structure downstream, made diagonal where c varies.
  view: (eqn) => ({
    ...identityView(eqn.out.shape.length),
    factor: { shape: factorOf(eqn).shape, make: () => factorOf(eqn) },
  }),
};
