// cumsum(v; axis, exclusive, reverse): running sums; the transpose runs the other way.
import * as tf from "@tensorflow/tfjs";
import { reverseB } from "../src/core/tensor_ops.ts";
import type { LinearRule } from "./_types.ts";
import { elementwiseFlops } from "./_families.ts";
import { matrix, perAxisPlan, planned, varShape } from "./_structure_util.ts";

/**
 * tf.cumsum, with a reverse sum run as rev → forward cumsum → rev: tfjs-webgpu 4.22 reuses a
 * reverse cumsum shader compiled for another axis length (wrong sums after a shape change).
 */
function cumsumAlong(t: tf.Tensor, axis: number, exclusive: boolean, reverse: boolean): tf.Tensor {
  if (!reverse) return tf.cumsum(t, axis, exclusive, false);
  return reverseB(tf.cumsum(reverseB(t, [axis]), axis, exclusive, false), [axis]);
}

export const cumsum: LinearRule<"cumsum"> = {
  apply: (eqn, [v], lead) => cumsumAlong(v!, eqn.params.axis + lead, eqn.params.exclusive, eqn.params.reverse),
  transpose: (eqn, ct, lead) => cumsumAlong(ct, eqn.params.axis + lead, eqn.params.exclusive, !eqn.params.reverse),
  exampleAxis: (eqn, rows) => (rows.out.axis === eqn.params.axis ? null : rows.out),
  flops: elementwiseFlops,
  // The summed axis contributes a triangular matrix; the others pair up.
  ...planned<"cumsum">(
    (eqn) =>
      perAxisPlan(eqn.out.shape, varShape(eqn, 0), (a) => {
        const { axis, exclusive, reverse } = eqn.params, n = eqn.out.shape[a];
        if (a !== axis) return null;
        return matrix(n, n, (j, i) => (reverse ? (exclusive ? i > j : i >= j) : (exclusive ? i < j : i <= j)) ? 1 : 0);
      }),
    varShape,
  ),
};
