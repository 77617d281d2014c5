// reduce_sum(v; axes): sums the operand over `axes`; the transpose broadcasts back.
import { operandShape } from "../src/core/ir.ts";
import * as tf from "@tensorflow/tfjs";
import type { LinearRule } from "./_types.ts";
import { broadcastToB, sumB } from "../src/core/tensor_ops.ts";
import { numel, range } from "../src/core/axes.ts";
import { structureOf } from "./_structure_util.ts";

export const reduceSum: LinearRule<"reduce_sum"> = {
  apply: (eqn, [v], lead) => sumB(v!, eqn.params.axes.map((a) => a + lead)),
  transpose: (eqn, ct, lead) => {
    const operand = operandShape(eqn);
    const kept = operand.map((s, a) => (eqn.params.axes.includes(a) ? 1 : s));
    const ld = ct.shape.slice(0, lead);
    return broadcastToB(tf.reshape(ct, [...ld, ...kept]), [...ld, ...operand]);
  },
  exampleAxis: (eqn, rows) => {
    const kept = range(operandShape(eqn).length).filter((a) => !eqn.params.axes.includes(a));
    return { ...rows.out, axis: kept[rows.out.axis] };
  },
  flops: (eqn, basis) => basis * numel(operandShape(eqn)),
  // Output axis j is the j-th kept operand axis; the summed axes are tiled. J̃ = 1.
  structure: (eqn) => {
    const kept = range(operandShape(eqn).length).filter((a) => !eqn.params.axes.includes(a));
    return structureOf({ constantBlockDiagonal: kept.map((a, j) => [j, a]), inputTiled: [...eqn.params.axes] });
  },
  jacobian: () => tf.scalar(1),
};
