/**
 * `empiricalNtkVpFn`: the NTK-vector product Θ(x1, x2)·v without building Θ — one VJP at x2
 * with cotangent v gives the parameter direction Jᵀ(x2)·v, one JVP at x1 pushes it forward.
 * Memory: one linearization at a time, plus O(P) for the direction and O(N·O) for v and the result.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type BackendName, ensureBackend } from "../core/backend.ts";
import { DTypeError, InvalidOptionError, ShapeMismatchError } from "../core/errors.ts";
import { disposeProgram } from "../core/linear_program.ts";
import { backward, forward } from "../ntk/passes.ts";
import { checkArguments, checkFiniteArguments, checkNtkOptions, type Input } from "../core/validate.ts";
import type { Linearized, ParamFn } from "../../adapters/trace.ts";
import type { Tensor } from "../core/types.ts";
import { traceInput } from "../api/inputs.ts";
import { flatCall, type TreeParamFn } from "../core/param_tree.ts";

/** Options of `empiricalNtkVpFn`. */
export interface EmpiricalNtkVpOptions {
  /** Backend to run on; by default the one in use, or the fastest present. */
  backend?: BackendName | "auto";
}

/**
 * Θ(x1, x2)·v, where `v` has the shape of f(x2)'s output `[N2, ...S2]` and the result that of
 * f(x1)'s output `[N1, ...S1]`: `out[i, o] = Σ_{j, o'} Θ[i, j, o, o'] · v[j, o']` over the full
 * kernel (`traceAxes: []`). `x2 = null` means x2 = x1.
 */
export type EmpiricalNtkVp<P = Record<string, Tensor>, R extends unknown[] = []> = (
  x1: Input,
  x2: Input | null,
  params: P,
  v: Tensor,
  ...rest: R
) => Promise<Tensor>;

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

function release(lin: Linearized): void {
  disposeProgram(lin.program);
  lin.output.dispose();
}

/**
 * Returns a function computing NTK-vector products Θ(x1, x2)·v (neural-tangents'
 * `empirical_ntk_vp_fn`) without building the NTK: one VJP at x2, then one JVP at x1. It costs
 * about three forward passes and holds O(P + N·O) beyond the activations, where the NTK itself
 * would be `[N1, N2, O, O]`.
 *
 * `v` has f(x2)'s output shape (several outputs: their entries concatenated per row, `[N2, Σ]`);
 * the result has f(x1)'s output shape: `out[i, o] = Σ_{j, o'} Θ[i, j, o, o'] · v[j, o']`, the
 * contraction of the full kernel of `empiricalNtkFn(f, { traceAxes: [] })` with v.
 *
 * @param userF `f(params, x, ...rest)`: a function of a parameter tree, the input (leading axis:
 *   examples) and extra arguments (the call's `rest`, passed as they are, never differentiated)
 * @param options the backend
 * @returns `async (x1, x2, params, v, ...rest) => Θ(x1, x2)·v`
 * @throws {ShapeMismatchError} (from the returned function) when `v` is not shaped like f(x2)'s output
 * @throws {DTypeError} when `v` or a parameter is not float32
 * @throws {NonFiniteInputError} when `v`, an input or a parameter holds NaN or ±Infinity
 *
 * @example Usage
 * ```ts
 * // deno run --allow-read
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { empiricalNtkFn, empiricalNtkVpFn } from "@fast-ntk/fast-ntk";
 * const f = (p: Record<string, tf.Tensor>, x: tf.Tensor | tf.Tensor[]) =>
 *   tf.matMul(tf.relu(tf.matMul(x as tf.Tensor, p.w1)), p.w2);
 * const params = { w1: tf.randomNormal([3, 8]), w2: tf.randomNormal([8, 2]) };
 * const [x1, x2] = [tf.randomNormal([4, 3]), tf.randomNormal([5, 3])];
 * const v = tf.randomNormal([5, 2]); // shaped like f(x2)
 * const y = await empiricalNtkVpFn(f)(x1, x2, params, v); // [4, 2]: Θ(x1, x2)·v without building Θ
 * assert.deepEqual(y.shape, [4, 2]);
 * // the same as contracting the full kernel [4, 5, 2, 2] with v
 * const theta = await empiricalNtkFn(f, { traceAxes: [] })(x1, x2, params);
 * const want = tf.reshape(tf.matMul(tf.reshape(tf.transpose(theta, [0, 2, 1, 3]), [8, 10]), tf.reshape(v, [10, 1])), [4, 2]);
 * assert.ok(tf.max(tf.abs(tf.sub(y, want))).dataSync()[0] <= 1e-4 * tf.max(tf.abs(want)).dataSync()[0]);
 * ```
 */
export function empiricalNtkVpFn<P extends object = Record<string, Tensor>, R extends unknown[] = []>(
  userF: TreeParamFn<P, R>,
  options: EmpiricalNtkVpOptions = {},
): EmpiricalNtkVp<P, R> {
  if (typeof userF !== "function") throw new InvalidOptionError("f", typeof userF, ["a function f(params, x)"]);
  checkNtkOptions(options);
  return async (x1, x2, tree, v, ...rest) => {
    const { flat: params, fn } = flatCall(userF, tree, rest);
    const f = fn as ParamFn;
    await ensureBackend(options.backend);
    checkArguments(x1, x2, params, f);
    if (!(v instanceof tf.Tensor)) throw new ShapeMismatchError("v", typeof v, "expected a tf.Tensor");
    if (v.isDisposed) throw new ShapeMismatchError("v", "disposed", "the tensor is disposed");
    if (v.dtype !== "float32") throw new DTypeError("v", v.dtype, "float32");
    await checkFiniteArguments(x1, x2, params, [["v", v]]);
    const directions = new Map<string, tf.Tensor>();
    let at1: Linearized | null = null;
    try {
      // The VJP at x2: the parameter direction Jᵀ(x2)·v.
      const at2 = traceInput(f, params, x2 ?? x1, x2 ? "x2" : "x1");
      try {
        const s2 = at2.output.shape;
        if (!sameShape(v.shape, s2)) {
          throw new ShapeMismatchError("v", v.shape, `expected f(x2)'s output shape [${s2}]`);
        }
        // No cotangent entries or no parameter entries: the direction is zero (and backends
        // disagree on reducing an empty axis), so nothing to push forward.
        const paramEntries = Object.values(params).reduce((n, t) => n + t.size, 0);
        if (v.size > 0 && paramEntries > 0) {
          const ct = tf.reshape(v, [1, ...s2]);
          try {
            for (const [name, g] of backward(at2.program, ct, 1, null)) directions.set(name, g);
          } finally {
            ct.dispose();
          }
        }
      } catch (e) {
        release(at2);
        throw e;
      }
      // x2 = x1: the same linearization serves the JVP; else free it before tracing x1.
      if (x2 === null) at1 = at2;
      else {
        release(at2);
        at1 = traceInput(f, params, x1, "x1");
      }
      const lin = at1;
      return tf.tidy(() => {
        const y = directions.size && lin.output.size ? forward(lin.program, directions, 1) : null;
        return y ? tf.reshape(y, lin.output.shape) : tf.zeros(lin.output.shape);
      });
    } finally {
      if (at1) release(at1);
      tf.dispose([...directions.values()]);
    }
  };
}
