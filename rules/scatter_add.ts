// scatter_add(v; indices, axis, shape): adds slices of v into zeros of `shape` at `indices`
// along `axis` (duplicates accumulate). The transpose of gather, and gather is its transpose.
import type { LinearRule } from "./_types.ts";
import { noFlops } from "./_families.ts";
import { gatherLead, scatterLead } from "./_gather.ts";

export const scatterAdd: LinearRule<"scatter_add"> = {
  apply: (eqn, [v], lead) =>
    scatterLead(v!, eqn.params.indices, eqn.params.axis, lead, eqn.params.shape[eqn.params.axis]),
  transpose: (eqn, ct, lead) => gatherLead(ct, eqn.params.indices, eqn.params.axis, lead),
  exampleAxis: (eqn, rows) => {
    const { axis, indices } = eqn.params;
    const a = rows.out.axis;
    if (a < axis) return rows.out;
    if (a > axis) return { ...rows.out, axis: a + indices.rank - 1 };
    return null;
  },
  flops: noFlops,
};
