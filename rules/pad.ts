// pad(v; config): zero padding per axis as [lo, hi, interior]; negative lo/hi crop.
// A nonzero padding value is affine, not linear: kernels pad tangents with zero.
import { operandShape } from "../src/core/ir.ts";
import type { LinearRule } from "./_types.ts";
import { noFlops } from "./_families.ts";
import { padLead, unpadLead } from "./_pad.ts";
import { matrix, perAxisPlan, planned, varShape } from "./_structure_util.ts";

export const pad: LinearRule<"pad"> = {
  apply: (eqn, [v]) => padLead(v!, eqn.params.config),
  transpose: (eqn, ct) => unpadLead(ct, eqn.params.config, operandShape(eqn)),
  exampleAxis: (eqn, rows) => {
    const [lo, hi, interior] = eqn.params.config[rows.out.axis];
    return lo === 0 && hi === 0 && interior === 0 ? rows.out : null;
  },
  flops: noFlops,
  // A padded axis contributes the placement y_j = w_i at j = lo + i·(interior + 1).
  ...planned<"pad">(
    (eqn) =>
      perAxisPlan(eqn.out.shape, varShape(eqn, 0), (a) => {
        const [lo, , interior] = eqn.params.config[a];
        return matrix(eqn.out.shape[a], varShape(eqn, 0)[a], (j, i) => (j === lo + i * (interior + 1) ? 1 : 0));
      }),
    varShape,
  ),
};
