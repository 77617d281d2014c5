// The kernel as a sum of per-parameter terms, and its tail: zeros when no term came, then the
// mean over the traced axes.
import type * as tf from "@tensorflow/tfjs";
import { type Layout, meanOverTraced } from "../core/layout.ts";
import { addB, zerosB } from "../core/tensor_ops.ts";

/** The kernel's shape for a layout and the two output shapes. */
export function layoutShape(l: Layout, s1: readonly number[], s2: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < l.rank; i++) {
    if (l.trace.includes(i)) continue;
    if (l.diag.includes(i)) out.push(s1[i]);
    else out.push(s1[i], s2[i]);
  }
  return out;
}

/** Accumulates kernel terms, each disposed once added; `mean` ends it. */
export class KernelSum {
  #acc: tf.Tensor | null = null;
  constructor(private readonly stats: { sample(): void }) {}
  add(t: tf.Tensor | null): void {
    if (!t) return;
    if (!this.#acc) this.#acc = t;
    else {
      const next = addB(this.#acc, t);
      this.#acc.dispose(), t.dispose();
      this.#acc = next;
    }
    this.stats.sample();
  }
  /** The kernel (the caller owns it): the sum (zeros when nothing was added) over the traced sizes. */
  mean(layout: Layout, s1: readonly number[], s2: readonly number[]): tf.Tensor {
    const result = this.#acc ?? zerosB(layoutShape(layout, s1, s2));
    this.#acc = null;
    const k = meanOverTraced(result, layout, s1);
    result.dispose();
    return k;
  }
}
