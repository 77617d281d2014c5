// sub(a, b) = a − b: both vars of the output's shape; the rhs transposes with a sign flip.
import * as tf from "@tensorflow/tfjs";
import type { LinearRule } from "./_types.ts";
import { subB } from "../src/core/tensor_ops.ts";
import { elementwiseFlops, sameRows } from "./_families.ts";
import { scaledIdentity } from "./_structure_util.ts";

export const sub: LinearRule<"sub"> = {
  apply: (_eqn, [a, b]) => (a && b ? subB(a, b) : a ? tf.clone(a) : tf.neg(b!)),
  transpose: (_eqn, ct, _lead, slot) => (slot === 0 ? tf.clone(ct) : tf.neg(ct)),
  exampleAxis: sameRows,
  flops: elementwiseFlops,
  ...scaledIdentity((slot) => (slot === 0 ? 1 : -1)),
};
