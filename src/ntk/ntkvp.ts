/**
 * NTK-vector products: VJPs at x2 over the basis of all N2·O output entries, then JVPs at x1 in
 * those parameter directions, one linearization per side. Cost (paper, Table 2): N²·O·[FP].
 * The basis is processed in chunks so the parameter cotangents stay within the memory budget.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { layoutFromFull } from "../core/layout.ts";
import { numel, range } from "../core/axes.ts";
import { concatB, transposeB, zerosB } from "../core/tensor_ops.ts";
import { backward, forward } from "./passes.ts";
import type { Method } from "./types.ts";
import { ntkvpChunk } from "./cost.ts";
import { identityRows } from "../core/tensor_util.ts";

export const ntkvpNtk: Method = ({ p1, p2, layout, stats, memoryBudget, maxTensorBytes, progress }) => {
  const q = p2 ?? p1;
  const s1 = p1.output.shape, s2 = q.output.shape;
  const b = numel(s2);
  const paramSize = [...q.params.values()].reduce((acc, v) => acc + numel(v.shape), 0);
  // The intermediates' tangents count too: a CNN's activations outweigh its parameters.
  const largestVar = Math.max(...[p1, q].map((p) => p.eqns.reduce((m, e) => Math.max(m, numel(e.out.shape)), 0)));
  const largestParam = Math.max(0, ...[...q.params.values()].map((v) => numel(v.shape)));
  const chunk = ntkvpChunk(
    b,
    paramSize + numel(s1) + largestVar,
    Math.max(largestParam, largestVar),
    memoryBudget,
    maxTensorBytes,
  );
  const blocks: tf.Tensor[] = [];
  try {
    for (let start = 0; start < b; start += chunk) {
      const n = Math.min(chunk, b - start);
      const ct = tf.tidy(() => tf.reshape(identityRows(start, n, b), [n, ...s2]));
      const directions = new Map<string, tf.Tensor>();
      try {
        for (const [name, g] of backward(q, ct, 1, null, stats)) directions.set(name, g);
        const y = forward(p1, directions, 1, stats);
        blocks.push(y ?? zerosB([n, ...s1]));
      } finally {
        ct.dispose();
        tf.dispose([...directions.values()]);
      }
      stats.sample();
      progress?.(Math.min(1, (start + n) / b));
    }
  } catch (e) {
    tf.dispose(blocks);
    throw e;
  }
  return tf.tidy(() => {
    const all = blocks.length === 1 ? blocks[0] : concatB(blocks, 0);
    // [...s2, ...s1] → [...s1, ...s2]
    const r1 = s1.length, r2 = s2.length;
    const full = transposeB(tf.reshape(all, [...s2, ...s1]), [...range(r1, r2), ...range(r2)]);
    tf.dispose(blocks);
    return layoutFromFull(full, layout, s1);
  });
};
