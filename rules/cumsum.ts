// cumsum(v; axis, exclusive, reverse): running sums; the transpose runs the other way.
import * as tf from "@tensorflow/tfjs";
import type { LinearRule } from "./_types.ts";
import { elementwiseFlops } from "./_families.ts";

export const cumsum: LinearRule<"cumsum"> = {
  apply: (eqn, [v], lead) => tf.cumsum(v!, eqn.params.axis + lead, eqn.params.exclusive, eqn.params.reverse),
  transpose: (eqn, ct, lead) => tf.cumsum(ct, eqn.params.axis + lead, eqn.params.exclusive, !eqn.params.reverse),
  exampleAxis: (eqn, rows) => (rows.out.axis === eqn.params.axis ? null : rows.out),
  flops: elementwiseFlops,
};
