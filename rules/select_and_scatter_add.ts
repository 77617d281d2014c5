// select_and_scatter_add(v; positions, shape): scatter-adds entry j of v to flat position
// positions[j] of zeros(shape); the transpose of select_and_gather_add. Axis 0 is a shared
// batch axis as there.
import * as tf from "@tensorflow/tfjs";
import type { LinearRule } from "./_types.ts";
import { noFlops } from "./_families.ts";
import { gatherFlat, scatterFlat } from "./_select_gather.ts";
import { numel } from "../src/core/axes.ts";
import { cached } from "./_cache.ts";
import { slotOneHot, structureOf } from "./_structure_util.ts";

export const selectAndScatterAdd: LinearRule<"select_and_scatter_add"> = {
  apply: (eqn, [v], lead) => scatterFlat(v!, eqn.params.positions, eqn.params.shape, lead),
  transpose: (eqn, ct, lead) => gatherFlat(ct, eqn.params.positions, eqn.params.shape, lead),
  exampleAxis: (_eqn, rows) => (rows.out.axis === 0 ? rows.out : null),
  flops: noFlops,
  // Batch slots pair up (block-diagonal); within slot b, J̃[b, i..., j...] = [positions[b, j...]
  // = b·S + i], S the slot size.
  structure: () => structureOf({ blockDiagonal: [[0, 0]] }),
  jacobian: (eqn) =>
    tf.clone(cached(eqn, "jacobian:0", () => {
      const { positions, shape } = eqn.params;
      const rest = shape.slice(1);
      const oneHot = tf.transpose(slotOneHot(positions, numel(rest)), [0, 2, 1]);
      return tf.reshape(oneHot, [...shape, ...positions.shape.slice(1)]);
    })),
};
