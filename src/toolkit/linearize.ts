/**
 * `linearize`: the first-order Taylor expansion of `f` in its parameters around `params0`,
 * f(params0, x) + J(x)·(params − params0), by one JVP of the linear program traced at params0.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { DTypeError, ShapeMismatchError } from "../core/errors.ts";
import { disposeProgram } from "../core/linear_program.ts";
import { forward } from "../ntk/passes.ts";
import type { ParamFn } from "../../adapters/trace.ts";
import type { Tensor } from "../core/types.ts";
import { traceInput } from "../api/inputs.ts";
import { bindParams, flatParamsOf, type TreeParamFn, unflattenParams } from "../core/param_tree.ts";

/** The linearized function: a function of f's parameters (and extra arguments) that owns a copy of `params0`. */
export interface LinearizedFn<P = Record<string, Tensor>, R extends unknown[] = []> {
  /**
   * f(params0, x, ...rest) + J(x)·(params − params0), synchronously. `params` must have the
   * paths and shapes of `params0`; `rest` goes to f as it is. Several outputs come back
   * concatenated per row, as the NTK sees them.
   */
  (params: P, x: Tensor | Tensor[], ...rest: R): Tensor;
  /** The expansion point, shaped like the caller's `params0` (this function's own copies; read-only). */
  readonly params0: Readonly<P>;
  /** Frees the copy of `params0`; the function cannot be called afterwards. */
  dispose(): void;
}

/** Checks a call's parameters against the expansion point `p0`: the same names, shapes, float32. */
export function checkLike(p0: Record<string, tf.Tensor>, tree: unknown): Record<string, tf.Tensor> {
  const params = flatParamsOf(tree);
  checkParams(params, "params");
  for (const [name, t] of Object.entries(p0)) {
    const q = params[name];
    if (!q) throw new ShapeMismatchError(`params["${name}"]`, "missing", "params0 has it, so params needs it too");
    if (q.shape.length !== t.shape.length || q.shape.some((s, i) => s !== t.shape[i])) {
      throw new ShapeMismatchError(`params["${name}"]`, q.shape, `expected params0's shape [${t.shape}]`);
    }
  }
  const extra = Object.keys(params).find((n) => !(n in p0));
  if (extra) throw new ShapeMismatchError(`params["${extra}"]`, extra, "params0 has no such parameter");
  return params;
}

function checkParams(params: Record<string, tf.Tensor>, what: string): void {
  if (params === null || typeof params !== "object") {
    throw new ShapeMismatchError(what, typeof params, "expected an object of named tensors");
  }
  for (const [name, t] of Object.entries(params)) {
    if (!(t instanceof tf.Tensor)) throw new ShapeMismatchError(`${what}["${name}"]`, typeof t, "expected a tf.Tensor");
    if (t.isDisposed) throw new ShapeMismatchError(`${what}["${name}"]`, "disposed", "the tensor is disposed");
    if (t.dtype !== "float32") throw new DTypeError(`${what}["${name}"]`, t.dtype, "float32");
  }
}

/**
 * Linearizes `f` in its parameters around `params0`:
 * `fLin(params, x) = f(params0, x) + J(x)·(params − params0)`, with J the Jacobian of f at
 * (params0, x). Each call traces f at (params0, x) and pushes `params − params0` through the
 * linear program once (one JVP, never the Jacobian). `fLin` is itself a `ParamFn`, so
 * `empiricalNtkFn(fLin)` gives the NTK of the linearized model — at any params, f's NTK at params0.
 *
 * `fLin` keeps its own copy of `params0` (the caller may dispose theirs); call `fLin.dispose()`
 * to free it.
 *
 * @param f `f(params, x, ...rest)`: a function of a parameter tree, the input and extra
 *   arguments (given to each call of `fLin`, passed to f as they are)
 * @param params0 the expansion point (float32 tensors, in any tree)
 * @returns `fLin`, with `.params0` and `.dispose()`
 * @throws {DTypeError} for a parameter that is not float32
 * @throws {ShapeMismatchError} when `fLin` gets parameters with other names or shapes than `params0`
 *
 * @example Usage
 * ```ts
 * // deno run --allow-read
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { linearize } from "@fast-ntk/fast-ntk";
 * const f = (p: Record<string, tf.Tensor>, x: tf.Tensor | tf.Tensor[]) =>
 *   tf.matMul(tf.tanh(tf.matMul(x as tf.Tensor, p.w1)), p.w2);
 * const params0 = { w1: tf.randomNormal([3, 8]), w2: tf.randomNormal([8, 2]) };
 * const fLin = linearize(f, params0);
 * const x = tf.randomNormal([4, 3]);
 * const params = { w1: tf.add(params0.w1, 0.001), w2: params0.w2 };
 * const y = fLin(params, x); // [4, 2], ≈ f(params, x) to first order
 * assert.deepEqual(y.shape, [4, 2]);
 * assert.ok(tf.max(tf.abs(tf.sub(y, f(params, x) as tf.Tensor))).dataSync()[0] < 1e-3);
 * fLin.dispose();
 * ```
 */
export function linearize<P extends object = Record<string, Tensor>, R extends unknown[] = []>(
  f: TreeParamFn<P, R>,
  params0: P,
): LinearizedFn<P, R> {
  const flat0 = flatParamsOf(params0, "params0");
  checkParams(flat0, "params0");
  // Our own copies: the expansion point must outlive (and not alias) the caller's tensors.
  const p0: Record<string, tf.Tensor> = Object.fromEntries(
    Object.entries(flat0).map(([n, t]) => [n, tf.keep(tf.clone(t))]),
  );
  let disposed = false;
  const fLin = ((tree: P, x: tf.Tensor | tf.Tensor[], ...rest: R) => {
    if (disposed) throw new Error("Cannot call fLin: it was disposed");
    const params = checkLike(p0, tree);
    const lin = traceInput(bindParams(f, params0, rest) as ParamFn, p0, x, "x");
    try {
      // Plain tfjs ops on (params − params0): when fLin is traced in turn, its JVP is linear in params.
      return tf.tidy(() => {
        const tangents = new Map(Object.keys(p0).map((n) => [n, tf.expandDims(tf.sub(params[n], p0[n]), 0)]));
        const jvp = forward(lin.program, tangents, 1);
        return jvp ? tf.add(lin.output, tf.reshape(jvp, lin.output.shape)) : tf.clone(lin.output);
      });
    } finally {
      disposeProgram(lin.program);
      lin.output.dispose();
    }
  }) as LinearizedFn<P, R>;
  Object.defineProperty(fLin, "params0", { value: unflattenParams(p0, params0), enumerable: true });
  fLin.dispose = () => {
    if (disposed) return;
    disposed = true;
    tf.dispose(Object.values(p0));
  };
  return fLin;
}
