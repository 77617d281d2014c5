// transpose(v; permutation): output axis i is operand axis permutation[i]; the transpose
// permutes back by the inverse permutation.
import * as tf from "@tensorflow/tfjs";
import type { LinearRule } from "./_types.ts";
import { transposeB } from "../src/core/tensor_ops.ts";
import { noFlops } from "./_families.ts";
import { invertPermutation, range } from "../src/core/axes.ts";
import { structureOf } from "./_structure_util.ts";

const shifted = (perm: number[], lead: number) => [...range(lead), ...perm.map((p) => p + lead)];

export const transpose: LinearRule<"transpose"> = {
  apply: (eqn, [v], lead) => transposeB(v!, shifted(eqn.params.permutation, lead)),
  transpose: (eqn, ct, lead) => transposeB(ct, shifted(invertPermutation(eqn.params.permutation), lead)),
  exampleAxis: (eqn, rows) => ({ ...rows.out, axis: eqn.params.permutation[rows.out.axis] }),
  flops: noFlops,
  view: (eqn) => ({ axes: eqn.params.permutation.map((p) => ({ axis: p, offset: 0, sign: 1 as const })), scale: 1 }),
  structure: (eqn) => structureOf({ constantBlockDiagonal: eqn.params.permutation.map((p, i) => [i, p]) }),
  jacobian: () => tf.scalar(1),
};
