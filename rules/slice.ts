// slice(v; start, limit, strides): a static strided window. Its transpose is a zero pad
// (lo = start, interior = stride − 1, hi = what remains).
import { operandShape } from "../src/core/ir.ts";
import type { Eqn } from "../src/core/ir.ts";
import type { LinearRule } from "./_types.ts";
import { noFlops } from "./_families.ts";
import { stridedSliceB } from "../src/core/tensor_ops.ts";
import { type PadConfig, padLead } from "./_pad.ts";
import { matrix, perAxisPlan, planned, varShape } from "./_structure_util.ts";

/** The pad that scatters a slice back into the operand's shape. */
export function sliceAsPad(eqn: Eqn<"slice">): PadConfig {
  const { start, strides } = eqn.params;
  return operandShape(eqn).map((s, k) => {
    const n = eqn.out.shape[k];
    const last = n === 0 ? start[k] - 1 : start[k] + (n - 1) * strides[k];
    return [start[k], s - 1 - last, strides[k] - 1];
  });
}

export const slice: LinearRule<"slice"> = {
  apply: (eqn, [v], lead) => {
    const { start, limit, strides } = eqn.params;
    const ld = v!.shape.slice(0, lead);
    return stridedSliceB(v!, [...ld.map(() => 0), ...start], [...ld, ...limit], [...ld.map(() => 1), ...strides]);
  },
  transpose: (eqn, ct) => padLead(ct, sliceAsPad(eqn)),
  exampleAxis: (eqn, rows) => {
    const a = rows.out.axis;
    const full = eqn.params.start[a] === 0 && eqn.params.strides[a] === 1 &&
      eqn.out.shape[a] === operandShape(eqn)[a];
    return full ? rows.out : null;
  },
  flops: noFlops,
  view: (eqn) =>
    eqn.params.strides.every((s) => s === 1)
      ? { axes: eqn.params.start.map((s, i) => ({ axis: i, offset: s, sign: 1 as const })), scale: 1 }
      : null,
  // A sliced axis contributes the selection y_j = w_i at i = start + j·stride.
  ...planned<"slice">(
    (eqn) =>
      perAxisPlan(eqn.out.shape, varShape(eqn, 0), (a) => {
        const { start, strides } = eqn.params;
        return matrix(eqn.out.shape[a], varShape(eqn, 0)[a], (j, i) => (i === start[a] + j * strides[a] ? 1 : 0));
      }),
    varShape,
  ),
};
