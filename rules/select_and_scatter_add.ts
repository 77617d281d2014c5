// select_and_scatter_add(v; positions, shape): scatter-adds entry j of v to flat position
// positions[j] of zeros(shape); the transpose of select_and_gather_add. Axis 0 is a shared
// batch axis as there.
import type { LinearRule } from "./_types.ts";
import { noFlops } from "./_families.ts";
import { gatherFlat, scatterFlat } from "./_select_gather.ts";

export const selectAndScatterAdd: LinearRule<"select_and_scatter_add"> = {
  apply: (eqn, [v], lead) => scatterFlat(v!, eqn.params.positions, eqn.params.shape, lead),
  transpose: (eqn, ct, lead) => gatherFlat(ct, eqn.params.positions, eqn.params.shape, lead),
  exampleAxis: (_eqn, rows) => (rows.out.axis === 0 ? rows.out : null),
  flops: noFlops,
};
