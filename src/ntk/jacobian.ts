/**
 * Jacobian contraction: per-row Jacobians by the reverse pass over a basis of the O entries of
 * one output row (the rows apart), contracted parameter by parameter as soon as both sides
 * have it, so at most one parameter's Jacobian per side is alive. Cost (paper, Table 2):
 * N·O·[FP] + N²·O²·P.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { contract2, contract2Flops, type Label } from "../core/einsum.ts";
import { inferExampleAxes } from "./example_axes.ts";
import { layoutLabels } from "../core/layout.ts";
import { numel } from "../core/axes.ts";
import { broadcastToB } from "../core/tensor_ops.ts";
import { backward } from "./passes.ts";
import type { Method } from "./types.ts";
import { KernelSum } from "./_kernel_sum.ts";

/** The identity basis over one row's O entries, for every row: `[O, R, ...S]`. */
export function rowBasis(outShape: readonly number[]): tf.Tensor {
  const [r, ...s] = outShape;
  const o = numel(s);
  return tf.tidy(() => broadcastToB(tf.reshape(tf.eye(o), [o, 1, ...s]), [o, r, ...s]));
}

/** Pairs parameter Jacobians from two reverse passes, whatever order each yields them in. */
export function* zipByName<T>(a: Iterator<[string, T]>, b: Iterator<[string, T]>): Generator<[string, T, T]> {
  const bufA = new Map<string, T>(), bufB = new Map<string, T>();
  let doneA = false, doneB = false;
  while (!doneA || !doneB) {
    if (!doneA) {
      const r = a.next();
      if (r.done) doneA = true;
      else if (bufB.has(r.value[0])) {
        yield [r.value[0], r.value[1], bufB.get(r.value[0])!];
        bufB.delete(r.value[0]);
      } else bufA.set(r.value[0], r.value[1]);
    }
    if (!doneB) {
      const r = b.next();
      if (r.done) doneB = true;
      else if (bufA.has(r.value[0])) {
        yield [r.value[0], bufA.get(r.value[0])!, r.value[1]];
        bufA.delete(r.value[0]);
      } else bufB.set(r.value[0], r.value[1]);
    }
  }
}

export const jacobianNtk: Method = ({ p1, p2, layout, stats, progress }) => {
  const s1 = p1.output.shape, s2 = (p2 ?? p1).output.shape;
  const { one, two, out } = layoutLabels(layout);
  // A Jacobian [O, R, ...W] viewed as [...S, R, P] carries the output's axes 1..k, then 0.
  const view = (j: tf.Tensor, s: readonly number[]) => tf.reshape(j, [...s.slice(1), s[0], -1]);
  const l1: Label[] = [...one.slice(1), one[0], "p"], l2: Label[] = [...two.slice(1), two[0], "p"];
  const sum = new KernelSum(stats);
  let done = 0;
  const addTerm = (j1: tf.Tensor, j2: tf.Tensor) => {
    const [v1, v2] = [view(j1, s1), view(j2, s2)];
    const size = new Map<Label, number>([
      ...l1.map((l, i) => [l, v1.shape[i]] as const),
      ...l2.map((l, i) => [l, v2.shape[i]] as const),
    ]);
    const flops = contract2Flops(l1, l2, out, (l) => size.get(l)!);
    stats.flops += flops;
    // (Timed as dispatched: synchronous on cpu and wasm; on webgpu it only counts the dispatch.)
    const t0 = performance.now();
    const term = tf.tidy(() => contract2(v1, l1, v2, l2, out));
    stats.contraction.ms += performance.now() - t0;
    stats.contraction.flops += flops;
    tf.dispose([v1, v2]);
    sum.add(term);
    progress?.(++done / Math.max(1, p1.params.size));
  };
  const c1 = rowBasis(s1);
  const c2 = p2 ? rowBasis(s2) : null;
  try {
    const g1 = backward(p1, c1, 1, inferExampleAxes(p1), stats);
    if (!p2) {
      for (const [, j] of g1) {
        addTerm(j, j);
        j.dispose();
      }
    } else {
      for (const [, j1, j2] of zipByName(g1, backward(p2, c2!, 1, inferExampleAxes(p2), stats))) {
        addTerm(j1, j2);
        j1.dispose(), j2.dispose();
      }
    }
  } finally {
    c1.dispose(), c2?.dispose();
  }
  return sum.mean(layout, s1, s2);
};
