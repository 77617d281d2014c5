// select_n(c0, c1, ...; which): entry-wise, the output takes case `which` (int32 or bool,
// broadcastable to the output). Every case is a var of the output's shape.
import * as tf from "@tensorflow/tfjs";
import type { Eqn } from "../src/core/ir.ts";
import { floatMask } from "../src/core/tensor_util.ts";
import type { LinearRule } from "./_types.ts";
import { addAll, mulB } from "../src/core/tensor_ops.ts";
import { elementwiseFlops, sameRows } from "./_families.ts";
import { elementwiseJacobian, elementwiseStructure } from "./_structure_util.ts";

function maskOf(eqn: Eqn<"select_n">, k: number): tf.Tensor {
  const which = eqn.params.which;
  if (which.dtype === "bool") return floatMask(k === 1 ? which : tf.logicalNot(which));
  return floatMask(tf.equal(which, k));
}

export const selectN: LinearRule<"select_n"> = {
  apply: (eqn, tangents) => {
    const parts = tangents.flatMap((t, k) => (t ? [mulB(t, maskOf(eqn, k))] : []));
    return parts.length === 1 ? parts[0] : addAll(parts);
  },
  transpose: (eqn, ct, _lead, slot) => mulB(ct, maskOf(eqn, slot)),
  exampleAxis: sameRows,
  flops: elementwiseFlops,
  // As mul's, with the factor the mask of case `slot`.
  structure: (eqn) => elementwiseStructure(eqn.out.shape, eqn.params.which.shape),
  jacobian: (eqn, slot) => tf.tidy(() => elementwiseJacobian(maskOf(eqn, slot))),
};
