/**
 * `batch`: neural-tangents' `batch` wrapper for any kernel function of (x1, x2, …) — the NTK,
 * the NNGP, both, a Monte-Carlo estimate — computed over blocks of examples and put back
 * together, with progress reported to a callback and, on a terminal, as a bar on stderr.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { InvalidOptionError, ShapeMismatchError } from "../core/errors.ts";
import { concatB } from "../core/tensor_ops.ts";
import { ranges, sliceRows } from "../core/batching.ts";
import { asList, type Input } from "../core/validate.ts";
import type { Tensor } from "../core/types.ts";

/** Options of `batch`: the block size (or a budget that picks it) and progress reporting. */
export interface BatchOptions {
  /** Examples of x1 (and of x2) per block. @default all of them, unless `budget` is given */
  batchSize?: number;
  /**
   * Bytes one block's kernel(s) may take: the block size is the largest b with b² × (bytes per
   * pair of examples, measured by one call on a single pair) ≤ budget. Ignored when `batchSize`
   * is given.
   */
  budget?: number;
  /** Called after each block with the blocks done and the total. */
  onProgress?: (done: number, total: number) => void;
  /** Draws a progress bar on stderr. @default whether stderr is a terminal (Deno only) */
  progressBar?: boolean;
}

/** A kernel function of two inputs and extra arguments: one kernel, or several by name. */
export type BatchableKernelFn<R extends unknown[], O extends Tensor | Record<string, Tensor>> = (
  x1: Input,
  x2: Input | null,
  ...rest: R
) => Promise<O> | O;

function rowsOf(x: Input, argument: string): number {
  const list = asList(x);
  if (!list.length || list.some((t) => !(t instanceof tf.Tensor) || t.rank < 1)) {
    throw new ShapeMismatchError(argument, typeof x, "expected a tensor (or tensors) with a leading example axis");
  }
  const n = list[0].shape[0];
  if (list.some((t) => t.shape[0] !== n)) {
    throw new ShapeMismatchError(argument, list.map((t) => t.shape), "the inputs differ in their number of examples");
  }
  return n;
}

/** The kernels of one call, by name ("" for a lone tensor), checked to be [b1, b2, …] blocks. */
function asNamed(out: unknown, b1: number, b2: number): Map<string, tf.Tensor> {
  const entries: [string, unknown][] = out instanceof tf.Tensor ? [["", out]] : Object.entries(out as object);
  for (const [name, t] of entries) {
    if (!(t instanceof tf.Tensor) || t.rank < 2 || t.shape[0] !== b1 || t.shape[1] !== b2) {
      tf.dispose(entries.map(([, v]) => v).filter((v): v is tf.Tensor => v instanceof tf.Tensor));
      throw new ShapeMismatchError(
        `kernelFn's result${name ? ` "${name}"` : ""}`,
        t instanceof tf.Tensor ? t.shape : typeof t,
        `batch needs kernels [N1, N2, …] (examples of x1, then of x2): expected [${b1}, ${b2}, …]`,
      );
    }
  }
  return new Map(entries as [string, tf.Tensor][]);
}

function progressBar(enabled: boolean | undefined) {
  // deno-lint-ignore no-explicit-any
  const deno = (globalThis as any).Deno;
  const tty = enabled ?? Boolean(deno?.stderr?.isTerminal?.());
  const enc = new TextEncoder();
  return (done: number, total: number) => {
    if (!tty) return;
    const n = Math.round((done / total) * 30);
    const line = `\r[${"#".repeat(n)}${".".repeat(30 - n)}] ${done}/${total} blocks`;
    deno.stderr.writeSync(enc.encode(done === total ? `${line}\n` : line));
  };
}

/** Examples per block from the options (and, for a budget, one probing call). */
async function blockSize<R extends unknown[]>(
  options: BatchOptions,
  kernelFn: BatchableKernelFn<R, Tensor | Record<string, Tensor>>,
  x1: Input,
  x2: Input | null,
  rest: R,
  n: number,
): Promise<number> {
  if (options.batchSize !== undefined) return options.batchSize;
  if (options.budget === undefined) return n;
  const probe = [sliceRows(x1, 0, 1), x2 === null ? null : sliceRows(x2, 0, 1)] as const;
  try {
    const out = asNamed(await kernelFn(probe[0], probe[1], ...rest), 1, 1);
    const perPair = [...out.values()].reduce((s, t) => s + t.size * 4, 0);
    tf.dispose([...out.values()]);
    return Math.max(1, Math.floor(Math.sqrt(options.budget / perPair)));
  } finally {
    tf.dispose([probe[0], probe[1]].flatMap((p) => (p === null ? [] : asList(p))));
  }
}

function checkOptions(options: BatchOptions): void {
  const { batchSize, budget, onProgress } = options;
  if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize > 0)) {
    throw new InvalidOptionError("batchSize", batchSize, ["a whole number > 0"]);
  }
  if (budget !== undefined && !(typeof budget === "number" && budget > 0)) {
    throw new InvalidOptionError("budget", budget, ["a number of bytes > 0"]);
  }
  if (onProgress !== undefined && typeof onProgress !== "function") {
    throw new InvalidOptionError("onProgress", typeof onProgress, ["a function (done, total) => void"]);
  }
}

/**
 * Wraps a kernel function to compute over blocks of examples, as neural-tangents' `batch`: the
 * result equals `kernelFn(x1, x2, ...rest)`, assembled from `kernelFn` on every pair of blocks
 * (blocks of x1 against blocks of x2; with x2 = null, diagonal blocks are called with null and
 * the others with x1's blocks). Works for any function returning kernels [N1, N2, …] — one
 * tensor, or several by name (`empiricalKernelFn`'s `{ ntk, nngp }`) — such as `empiricalNtkFn`,
 * `empiricalNngpFn`, `empiricalKernelFn` and `monteCarloKernelFn`. Kernels traced or diagonal
 * over the example axis have no [N1, N2] blocks and are refused.
 *
 * Each block's kernel is kept until all are done, then concatenated: peak memory is about twice
 * the result plus one call of `kernelFn` on a block.
 *
 * @param kernelFn `(x1, x2, ...rest) => kernel(s)`: the function to wrap
 * @param options `batchSize` (or a `budget` in bytes that picks it), `onProgress`, `progressBar`
 * @returns a function with `kernelFn`'s arguments and result
 * @throws {InvalidOptionError} for a bad batchSize, budget or onProgress
 * @throws {ShapeMismatchError} (from the returned function) for inputs without a common example
 *   axis, or results that are not [N1, N2, …] kernels
 *
 * @example Usage
 * ```ts
 * // deno run --allow-read
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { batch, empiricalNtkFn } from "@fast-ntk/fast-ntk";
 * const f = (p: Record<string, tf.Tensor>, x: tf.Tensor | tf.Tensor[]) =>
 *   tf.matMul(tf.tanh(tf.matMul(x as tf.Tensor, p.w1)), p.w2);
 * const params = { w1: tf.randomNormal([3, 16]), w2: tf.randomNormal([16, 2]) };
 * const x = tf.randomNormal([10, 3]);
 * const blocks: string[] = [];
 * const ntk = batch(empiricalNtkFn(f), { batchSize: 4, onProgress: (d, t) => blocks.push(`${d}/${t}`) });
 * const k = await ntk(x, null, params); // [10, 10], from 3 × 3 blocks
 * const whole = await empiricalNtkFn(f)(x, null, params);
 * assert.ok(tf.max(tf.abs(tf.sub(k, whole))).dataSync()[0] <= 1e-4 * tf.max(tf.abs(whole)).dataSync()[0]);
 * assert.equal(blocks.at(-1), "9/9");
 * ```
 */
export function batch<R extends unknown[], O extends Tensor | Record<string, Tensor>>(
  kernelFn: BatchableKernelFn<R, O>,
  options: BatchOptions = {},
): (x1: Input, x2: Input | null, ...rest: R) => Promise<O> {
  if (typeof kernelFn !== "function") throw new InvalidOptionError("kernelFn", typeof kernelFn, ["a function"]);
  checkOptions(options);
  const bar = progressBar(options.progressBar);
  return async (x1, x2, ...rest) => {
    const n1 = rowsOf(x1, "x1"), n2 = x2 === null ? n1 : rowsOf(x2, "x2");
    const b = await blockSize(options, kernelFn, x1, x2, rest, Math.max(n1, n2));
    const [g1, g2] = [ranges(n1, b), ranges(n2, b)];
    const total = g1.length * g2.length;
    const blocks: Map<string, tf.Tensor>[][] = g1.map(() => []);
    try {
      for (const [i, r1] of g1.entries()) {
        for (const [j, r2] of g2.entries()) {
          const a = sliceRows(x1, r1[0], r1[1]);
          const c = x2 === null ? (i === j ? null : sliceRows(x1, r2[0], r2[1])) : sliceRows(x2, r2[0], r2[1]);
          try {
            blocks[i][j] = asNamed(await kernelFn(a, c, ...rest), r1[1] - r1[0], r2[1] - r2[0]);
          } finally {
            tf.dispose([...asList(a), ...(c === null ? [] : asList(c))]);
          }
          const done = i * g2.length + j + 1;
          options.onProgress?.(done, total);
          bar(done, total);
        }
      }
      const names = [...blocks[0][0].keys()];
      const whole = new Map(names.map((name) => [
        name,
        tf.tidy(() => concatB(blocks.map((row) => concatB(row.map((m) => m.get(name)!), 1)), 0)),
      ]));
      return (whole.has("") ? whole.get("") : Object.fromEntries(whole)) as O;
    } finally {
      tf.dispose(blocks.flat().flatMap((m) => [...m.values()]));
    }
  };
}
