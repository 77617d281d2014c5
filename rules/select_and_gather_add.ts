// select_and_gather_add(v; positions, shape): output entry j reads v at flat position
// positions[j] (max pooling's tangent: each window's chosen maximum). Axis 0 of the output and
// of v is the same batch axis: an entry of batch slot b reads only batch slot b.
import * as tf from "@tensorflow/tfjs";
import type { LinearRule } from "./_types.ts";
import { noFlops } from "./_families.ts";
import { gatherFlat, scatterFlat } from "./_select_gather.ts";
import { numel } from "../src/core/axes.ts";
import { cached } from "./_cache.ts";
import { slotOneHot, structureOf } from "./_structure_util.ts";

export const selectAndGatherAdd: LinearRule<"select_and_gather_add"> = {
  apply: (eqn, [v], lead) => gatherFlat(v!, eqn.params.positions, eqn.params.shape, lead),
  transpose: (eqn, ct, lead) => scatterFlat(ct, eqn.params.positions, eqn.params.shape, lead),
  exampleAxis: (_eqn, rows) => (rows.out.axis === 0 ? rows.out : null),
  flops: noFlops,
  // Batch slots pair up (block-diagonal); within slot b, J̃[b, j..., i...] = [positions[b, j...]
  // = b·S + i], S the slot size.
  structure: () => structureOf({ blockDiagonal: [[0, 0]] }),
  jacobian: (eqn) =>
    tf.clone(cached(eqn, "jacobian:0", () => {
      const { positions, shape } = eqn.params;
      const rest = shape.slice(1);
      return tf.reshape(slotOneHot(positions, numel(rest)), [...positions.shape, ...rest]);
    })),
};
