// scatter_add(v; indices, axis, shape): adds slices of v into zeros of `shape` at `indices`
// along `axis` (duplicates accumulate). The transpose of gather, and gather is its transpose.
import * as tf from "@tensorflow/tfjs";
import type { LinearRule } from "./_types.ts";
import { noFlops } from "./_families.ts";
import { gatherLead, scatterLead } from "./_gather.ts";
import { cached } from "./_cache.ts";
import { structureOf } from "./_structure_util.ts";
import { oneHotRows } from "../src/core/tensor_util.ts";

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
  // The other axes pair up (shifted past the index axes); the scattered axis and the index
  // axes keep the one-hot of the indices, J̃[s, j...] = [indices[j...] = s].
  structure: (eqn) => {
    const { axis, indices, shape } = eqn.params;
    const others = shape.map((_, a) => a).filter((a) => a !== axis);
    return structureOf({ constantBlockDiagonal: others.map((a) => [a, a < axis ? a : a + indices.rank - 1]) });
  },
  jacobian: (eqn) =>
    tf.clone(cached(eqn, "jacobian:0", () => {
      const { axis, indices, shape } = eqn.params;
      return tf.reshape(tf.transpose(oneHotRows(indices, shape[axis])), [shape[axis], ...indices.shape]);
    })),
};
