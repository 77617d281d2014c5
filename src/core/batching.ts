/**
 * Tiling (x1, x2) into blocks of examples so that peak memory stays within a budget, and
 * putting the blocks' kernels back together. With x2 = x1 only the blocks on and above the
 * diagonal are computed; the others are their mirror images (row and column axes swapped).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type Layout, layoutLabels } from "./layout.ts";
import { ShapeMismatchError } from "./errors.ts";
import type { Label } from "./einsum.ts";
import { addAll, concatB, mulB, sliceB, transposeB } from "./tensor_ops.ts";

/** What the layout does with the example (row) axis: kept twice, kept once, or summed. */
export type RowRole = "free" | "diagonal" | "traced";

export function rowRole(l: Layout): RowRole {
  return l.trace.includes(0) ? "traced" : l.diag.includes(0) ? "diagonal" : "free";
}

/** A traced or diagonal example axis pairs x1's examples with x2's: their counts must agree. */
export function checkExampleCounts(role: RowRole, n1: number, n2: number): void {
  if (role !== "free" && n1 !== n2) {
    throw new ShapeMismatchError(
      "x2",
      n2,
      `the example axis is traced or diagonal, so x2 needs ${n1} examples like x1`,
    );
  }
}

/** One block: rows [r1[0], r1[1]) of x1 against rows [r2[0], r2[1]) of x2. */
export interface Block {
  i: number;
  j: number;
  r1: [number, number];
  r2: [number, number];
}

/** Row ranges of `n` rows in blocks of at most `b`. */
export function ranges(n: number, b: number): [number, number][] {
  const out: [number, number][] = [];
  for (let s = 0; s < n; s += b) out.push([s, Math.min(n, s + b)]);
  return out;
}

/**
 * The blocks to compute. Free rows: every (i, j), or only i ≤ j when `symmetric`; diagonal or
 * traced rows pair block i of x1 with block i of x2 (N1 = N2).
 */
export function planBlocks(n1: number, n2: number, b: number, role: RowRole, symmetric: boolean): Block[] {
  const [g1, g2] = [ranges(n1, b), ranges(n2, b)];
  if (role !== "free") return g1.map((r, i) => ({ i, j: i, r1: r, r2: g2[i] }));
  const blocks: Block[] = [];
  g1.forEach((r1, i) => g2.forEach((r2, j) => (!symmetric || i <= j) && blocks.push({ i, j, r1, r2 })));
  return blocks;
}

/** The permutation that turns block (i, j)'s kernel into block (j, i)'s: swap each (x1, x2) pair. */
export function mirrorPermutation(l: Layout): number[] {
  const { out } = layoutLabels(l);
  const swap = (x: Label) => {
    const s = String(x);
    return s.startsWith("a") ? `b${s.slice(1)}` : s.startsWith("b") ? `a${s.slice(1)}` : s;
  };
  return out.map((x) => out.indexOf(swap(x)));
}

/**
 * Puts computed blocks together into the full kernel (disposing them). `blocks` maps "i,j" to
 * the kernel of that block; missing mirrored blocks are made from their twins.
 */
export function assemble(
  computed: Map<string, tf.Tensor>,
  n1: number,
  n2: number,
  b: number,
  l: Layout,
  role: RowRole,
): tf.Tensor {
  return tf.tidy(() => {
    const [g1, g2] = [ranges(n1, b), ranges(n2, b)];
    const at = (i: number, j: number) => computed.get(`${i},${j}`);
    let result: tf.Tensor;
    if (role === "diagonal") {
      result = concatB(g1.map((_, i) => at(i, i)!), 0);
    } else if (role === "traced") {
      // Each block is a mean over its own rows: weight by the rows it covers.
      result = addAll(g1.map((r, i) => mulB(at(i, i)!, tf.scalar((r[1] - r[0]) / n1))));
    } else {
      const perm = mirrorPermutation(l);
      const rows = g1.map((_, i) => concatB(g2.map((_, j) => at(i, j) ?? transposeB(at(j, i)!, perm)), 1));
      result = concatB(rows, 0);
    }
    computed.forEach((t) => t.dispose());
    return result;
  });
}

/** ExampleRows [from, to) of an input (or of each input). */
export function sliceRows(x: tf.Tensor | tf.Tensor[], from: number, to: number): tf.Tensor | tf.Tensor[] {
  const one = (t: tf.Tensor) => sliceB(t, [from, ...t.shape.slice(1).map(() => 0)], [to - from, ...t.shape.slice(1)]);
  return Array.isArray(x) ? x.map(one) : one(x);
}
