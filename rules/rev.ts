// rev(v; dimensions): reverses the listed axes; self-adjoint.
import * as tf from "@tensorflow/tfjs";
import type { LinearRule } from "./_types.ts";
import { noFlops } from "./_families.ts";

export const rev: LinearRule<"rev"> = {
  apply: (eqn, [v], lead) => tf.reverse(v!, eqn.params.dimensions.map((d) => d + lead)),
  transpose: (eqn, ct, lead) => tf.reverse(ct, eqn.params.dimensions.map((d) => d + lead)),
  // Reversing the row axis breaks the floor(i/inner) % R labelling.
  exampleAxis: (eqn, rows) => (eqn.params.dimensions.includes(rows.out.axis) ? null : rows.out),
  flops: noFlops,
};
