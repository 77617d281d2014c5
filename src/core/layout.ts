/**
 * The output layout of neural-tangents: for each output axis i, in order, a traced axis is
 * contracted (and the result divided by the traced sizes: a mean), a diagonal axis appears
 * once, and any other axis appears twice, zipped: (x1's, x2's).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { InvalidOptionError, ShapeMismatchError } from "./errors.ts";
import { contract2, type Label } from "./einsum.ts";
import { divB, transposeB } from "./tensor_ops.ts";

export interface Layout {
  rank: number;
  trace: number[];
  diag: number[];
}

/** Normalizes (possibly negative) axes for an output of `rank`; rejects overlaps. */
export function normalizeLayout(rank: number, traceAxes: readonly number[], diagonalAxes: readonly number[]): Layout {
  const norm = (a: number, what: string) => {
    const x = a < 0 ? a + rank : a;
    if (!Number.isInteger(x) || x < 0 || x >= rank) {
      throw new InvalidOptionError(what, a, [`an axis in [-${rank}, ${rank})`]);
    }
    return x;
  };
  const trace = [...new Set(traceAxes.map((a) => norm(a, "traceAxes")))].sort((a, b) => a - b);
  const diag = [...new Set(diagonalAxes.map((a) => norm(a, "diagonalAxes")))].sort((a, b) => a - b);
  const both = trace.filter((a) => diag.includes(a));
  if (both.length) throw new InvalidOptionError("traceAxes/diagonalAxes", both, ["disjoint axes"]);
  return { rank, trace, diag };
}

/** Einsum labels for the x1 side, the x2 side, and the result. */
export function layoutLabels(l: Layout): { one: Label[]; two: Label[]; out: Label[] } {
  const one: Label[] = [], two: Label[] = [], out: Label[] = [];
  for (let i = 0; i < l.rank; i++) {
    if (l.trace.includes(i)) {
      one.push(`t${i}`), two.push(`t${i}`);
    } else if (l.diag.includes(i)) {
      one.push(`d${i}`), two.push(`d${i}`), out.push(`d${i}`);
    } else {
      one.push(`a${i}`), two.push(`b${i}`), out.push(`a${i}`, `b${i}`);
    }
  }
  return { one, two, out };
}

/** Checks that traced and diagonal axes have equal sizes on both sides. */
export function checkPairedAxes(l: Layout, s1: readonly number[], s2: readonly number[]): void {
  for (const a of [...l.trace, ...l.diag]) {
    if (s1[a] !== s2[a]) {
      throw new ShapeMismatchError(
        "traceAxes/diagonalAxes",
        [s1, s2],
        `output axis ${a} is traced or diagonal but has size ${s1[a]} for x1 and ${s2[a]} for x2`,
      );
    }
  }
}

/** Product of the traced axes' sizes (the normalization of the mean). */
export function tracedSize(l: Layout, shape: readonly number[]): number {
  return l.trace.reduce((p, a) => p * shape[a], 1);
}

/**
 * A summed kernel divided by the traced sizes (a mean), as a new tensor. Kernels reach twice
 * the output's rank, so this and every other op on them is rank-safe (src/core/tensor_ops.ts).
 */
export function meanOverTraced(summed: tf.Tensor, l: Layout, s1: readonly number[]): tf.Tensor {
  return tf.tidy(() => divB(summed, tf.scalar(tracedSize(l, s1))));
}

/**
 * Applies the layout to a full block `[...s1, ...s2]` (all pairs of output entries), as the
 * NTK-vector-product method produces it.
 */
export function layoutFromFull(full: tf.Tensor, l: Layout, s1: readonly number[]): tf.Tensor {
  return tf.tidy(() => {
    const { one, two, out } = layoutLabels(l);
    // Give the x2 side of each paired axis its own label, then select the diagonal with eye.
    let labels: Label[] = [...one.map((x) => `${x}_1`), ...two.map((x) => `${x}_2`)];
    let t = full;
    for (const a of [...l.trace, ...l.diag]) {
      const base = l.trace.includes(a) ? `t${a}` : `d${a}`;
      const eye = tf.eye(s1[a]);
      const keep = l.diag.includes(a);
      const next = labels.filter((x) => x !== `${base}_2` && (keep || x !== `${base}_1`));
      t = contract2(t, labels, eye, [`${base}_1`, `${base}_2`], next);
      labels = next;
    }
    const want = out.map((x) => (String(x).startsWith("b") ? `${x}_2` : `${x}_1`));
    const perm = want.map((x) => labels.indexOf(x));
    return meanOverTraced(transposeB(t, perm), l, s1);
  });
}
