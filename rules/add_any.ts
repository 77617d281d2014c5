// add_any(a, b, ...): the sum of tangent contributions, each of the output's shape.
import * as tf from "@tensorflow/tfjs";
import type { LinearRule } from "./_types.ts";
import { elementwiseFlops, sameRows, sumOf } from "./_families.ts";
import { scaledIdentity } from "./_structure_util.ts";

export const addAny: LinearRule<"add_any"> = {
  apply: (_eqn, tangents) => sumOf(tangents),
  transpose: (_eqn, ct) => tf.clone(ct),
  exampleAxis: sameRows,
  flops: (eqn, basis) => elementwiseFlops(eqn, basis) * Math.max(1, eqn.in.length - 1),
  ...scaledIdentity(() => 1),
};
