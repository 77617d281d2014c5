// broadcast_in_dim(v; shape, broadcastDimensions): operand axis k lands on output axis
// broadcastDimensions[k] (size equal, or 1 and expanded); other output axes are new.
// Transpose: sum over the new and expanded axes.
import { operandShape } from "../src/core/ir.ts";
import * as tf from "@tensorflow/tfjs";
import type { Eqn } from "../src/core/ir.ts";
import { unitReshapeView } from "./_view.ts";
import type { LinearRule } from "./_types.ts";
import { broadcastToB, sumB, transposeB } from "../src/core/tensor_ops.ts";
import { noFlops } from "./_families.ts";
import { range, splitRowsShape } from "../src/core/axes.ts";
import { structureOf } from "./_structure_util.ts";

type E = Eqn<"broadcast_in_dim">;

/** Operand shape with 1s at the new axes, in output order. */
function expandedShape(eqn: E, operand: readonly number[]): number[] {
  const s = eqn.params.shape.map(() => 1);
  eqn.params.broadcastDimensions.forEach((d, k) => (s[d] = operand[k]));
  return s;
}

/** Output axes that the transpose sums over (new axes and expanded size-1 axes). */
function summedAxes(eqn: E, operand: readonly number[]): number[] {
  const ex = expandedShape(eqn, operand);
  return range(eqn.params.shape.length).filter((a) => ex[a] !== eqn.params.shape[a]);
}

export const broadcastInDim: LinearRule<"broadcast_in_dim"> = {
  apply: (eqn, [v], lead) => {
    const ld = v!.shape.slice(0, lead);
    const operand = v!.shape.slice(lead);
    return broadcastToB(tf.reshape(v!, [...ld, ...expandedShape(eqn, operand)]), [...ld, ...eqn.params.shape]);
  },
  transpose: (eqn, ct, lead) => {
    const operand = operandShape(eqn);
    const axes = summedAxes(eqn, operand).map((a) => a + lead);
    const s = axes.length ? sumB(ct, axes, true) : ct;
    return tf.reshape(s, [...ct.shape.slice(0, lead), ...operand]);
  },
  exampleAxis: (eqn, rows) => {
    const k = eqn.params.broadcastDimensions.indexOf(rows.out.axis);
    if (k < 0) return null; // a new axis: every row reads the whole operand
    const operand = operandShape(eqn);
    return operand[k] === eqn.params.shape[rows.out.axis] ? { ...rows.out, axis: k } : null;
  },
  // ExampleRows along a broadcast axis: split the row factor off into the lead, sum the rest.
  transposeExample: (eqn, ct, lead, _slot, rows) => {
    const operand = operandShape(eqn);
    const a = rows.out.axis;
    const split = tf.reshape(ct, splitRowsShape(ct.shape, lead + a, rows.out, rows.count));
    // Axes of `split`: lead, out[0..a), outer, R, inner, out(a..]
    const rAxis = lead + a + 1;
    const others = summedAxes(eqn, operand).filter((x) => x !== a)
      .map((x) => (x < a ? lead + x : lead + x + 2));
    const summed = sumB(split, [...others, lead + a, lead + a + 2], true);
    const ld = ct.shape.slice(0, lead);
    const perm = [...range(lead), rAxis, ...range(summed.rank).filter((x) => x >= lead && x !== rAxis)];
    return tf.reshape(transposeB(summed, perm), [...ld, rows.count, ...operand]);
  },
  flops: noFlops,
  // Inserting size-1 axes only (no tiling) is a view.
  view: (eqn) => {
    const operand = operandShape(eqn);
    return eqn.params.shape.every((s, a) => s === 1 || operand[eqn.params.broadcastDimensions.indexOf(a)] === s)
      ? unitReshapeView(operand, eqn.params.shape)
      : null;
  },
  // Kept axes pair up; expanded size-1 axes and new axes are tiled. J̃ = 1.
  structure: (eqn) => {
    const operand = operandShape(eqn);
    const { shape, broadcastDimensions: dims } = eqn.params;
    const kept = range(operand.length).filter((k) => operand[k] === shape[dims[k]]);
    return structureOf({
      constantBlockDiagonal: kept.map((k) => [dims[k], k]),
      outputTiled: range(shape.length).filter((a) => !kept.some((k) => dims[k] === a)),
      inputTiled: range(operand.length).filter((k) => !kept.includes(k)),
    });
  },
  jacobian: () => tf.scalar(1),
};
