// gather(v; indices, axis): out = v.shape[:axis] + indices.shape + v.shape[axis+1:], reading
// v at `indices` along `axis` (Embedding, GatherV2). The transpose scatter-adds.
import { operandShape } from "../src/core/ir.ts";
import * as tf from "@tensorflow/tfjs";
import { transposeB } from "../src/core/tensor_ops.ts";
import type { LinearRule } from "./_types.ts";
import { noFlops } from "./_families.ts";
import { gatherLead, scatterLead } from "./_gather.ts";
import { structureOf } from "./_structure_util.ts";

export const gather: LinearRule<"gather"> = {
  apply: (eqn, [v], lead) => gatherLead(v!, eqn.params.indices, eqn.params.axis, lead),
  transpose: (eqn, ct, lead) =>
    scatterLead(ct, eqn.params.indices, eqn.params.axis, lead, operandShape(eqn)[eqn.params.axis]),
  exampleAxis: (eqn, rows) => {
    const { axis, indices } = eqn.params;
    const a = rows.out.axis;
    if (a < axis) return rows.out;
    if (a >= axis + indices.rank) return { ...rows.out, axis: a - indices.rank + 1 };
    return null; // rows index the operand: it is shared (an embedding table)
  },
  // ExampleRows along an index axis: scatter each row into its own copy of the operand axis.
  transposeExample: (eqn, ct, lead, _slot, rows) => {
    const { axis, indices } = eqn.params;
    const size = operandShape(eqn)[axis];
    const j = rows.out.axis - axis; // the index axis that carries the rows
    const len = indices.shape[j];
    const rowOf = tf.tidy(() => {
      // int32 throughout: an int32 tensor op a JS number would give float32 indices.
      const int = (n: number) => tf.scalar(n, "int32");
      const along = tf.mod(tf.floorDiv(tf.range(0, len, 1, "int32"), int(rows.out.inner)), int(rows.count));
      return tf.broadcastTo(tf.reshape(along, indices.shape.map((_, i) => (i === j ? len : 1))), indices.shape);
    });
    const combined = tf.add(tf.mul(rowOf, tf.scalar(size, "int32")), indices);
    const scattered = scatterLead(ct, combined, axis, lead, rows.count * size);
    // [...lead, ...pre, R·size, ...post] → [...lead, R, ...pre, size, ...post]
    const s = scattered.shape;
    const p = lead + axis;
    const split = tf.reshape(scattered, [...s.slice(0, p), rows.count, size, ...s.slice(p + 1)]);
    const perm = [
      ...Array(lead).keys(),
      p,
      ...Array.from({ length: axis }, (_, i) => lead + i),
      ...Array.from({ length: split.rank - p - 1 }, (_, i) => p + 1 + i),
    ];
    return transposeB(split, perm);
  },
  flops: noFlops,
  // A lookup: the operand's other axes pair up (shifted past the index axes). J̃ = 1.
  structure: (eqn) => {
    const { axis, indices } = eqn.params;
    const others = operandShape(eqn).map((_, b) => b).filter((b) => b !== axis);
    return structureOf({
      constantBlockDiagonal: others.map((b) => [b < axis ? b : b + indices.rank - 1, b]),
      selection: { yAxes: indices.shape.map((_, i) => axis + i), wAxis: axis, indices },
    });
  },
  jacobian: () => tf.scalar(1),
};
