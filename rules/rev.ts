// rev(v; dimensions): reverses the listed axes; self-adjoint.
import { reverseB } from "../src/core/tensor_ops.ts";
import type { LinearRule } from "./_types.ts";
import { noFlops } from "./_families.ts";
import { matrix, perAxisPlan, planned, varShape } from "./_structure_util.ts";

export const rev: LinearRule<"rev"> = {
  apply: (eqn, [v], lead) => reverseB(v!, eqn.params.dimensions.map((d) => d + lead)),
  transpose: (eqn, ct, lead) => reverseB(ct, eqn.params.dimensions.map((d) => d + lead)),
  // Reversing the row axis breaks the floor(i/inner) % R labelling.
  exampleAxis: (eqn, rows) => (eqn.params.dimensions.includes(rows.out.axis) ? null : rows.out),
  flops: noFlops,
  view: (eqn) => ({
    axes: eqn.out.shape.map((n, i) =>
      eqn.params.dimensions.includes(i)
        ? { axis: i, offset: n - 1, sign: -1 as const }
        : { axis: i, offset: 0, sign: 1 as const }
    ),
    scale: 1,
  }),
  // A reversed axis contributes the anti-identity; the others pair up.
  ...planned<"rev">(
    (eqn) =>
      perAxisPlan(eqn.out.shape, varShape(eqn, 0), (a) => {
        const n = eqn.out.shape[a];
        return eqn.params.dimensions.includes(a) ? matrix(n, n, (j, i) => (i === n - 1 - j ? 1 : 0)) : null;
      }),
    varShape,
  ),
};
