// add(a, b): both operands are vars of the output's shape (broadcasting is explicit).
import * as tf from "@tensorflow/tfjs";
import type { LinearRule } from "./_types.ts";
import { elementwiseFlops, sameRows, sumOf } from "./_families.ts";
import { scaledIdentity } from "./_structure_util.ts";

export const add: LinearRule<"add"> = {
  apply: (_eqn, tangents) => sumOf(tangents),
  transpose: (_eqn, ct) => tf.clone(ct),
  exampleAxis: sameRows,
  flops: elementwiseFlops,
  ...scaledIdentity(() => 1),
};
