// neg(a) = −a.
import * as tf from "@tensorflow/tfjs";
import { identityView } from "./_view.ts";
import type { LinearRule } from "./_types.ts";
import { elementwiseFlops, sameRows } from "./_families.ts";
import { scaledIdentity } from "./_structure_util.ts";

export const neg: LinearRule<"neg"> = {
  apply: (_eqn, [a]) => tf.neg(a!),
  transpose: (_eqn, ct) => tf.neg(ct),
  exampleAxis: sameRows,
  flops: elementwiseFlops,
  ...scaledIdentity(() => -1),
  view: (eqn) => identityView(eqn.out.shape.length, -1),
};
