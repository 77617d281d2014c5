/**
 * `taylorExpand`: the Taylor expansion of `f` in its parameters around `params0` to degree 0, 1
 * or 2, as neural-tangents' `taylor_expand`. Degree 1 is `linearize`; degree 2 adds ½·H[Δ, Δ],
 * the second derivative along Δ = params − params0, computed exactly as a JVP of a JVP: the
 * function p ↦ J(p)·Δ (trace f at p, push Δ through its linear program) is itself traced at
 * params0 and Δ pushed through that — no finite differences.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { InvalidOptionError, UnsupportedKernelError } from "../core/errors.ts";
import { disposeProgram } from "../core/linear_program.ts";
import { forward } from "../ntk/passes.ts";
import { evaluateOutput, type ParamFn, traceLinear } from "../../adapters/trace.ts";
import type { Tensor } from "../core/types.ts";
import { traceInput } from "../api/inputs.ts";
import { bindParams, flatParamsOf, type TreeParamFn } from "../core/param_tree.ts";
import { checkLike, linearize, type LinearizedFn } from "./linearize.ts";

/** J(p)·v at (p, x) for the flat function g: one trace at p, one JVP; the output's shape. */
function jvpAt(g: ParamFn, p: Record<string, tf.Tensor>, v: Record<string, tf.Tensor>, x: Tensor | Tensor[]) {
  const lin = traceLinear(g, p, x);
  try {
    return tf.tidy(() => {
      const tangents = new Map(Object.keys(p).map((n) => [n, tf.expandDims(v[n], 0)]));
      const out = forward(lin.program, tangents, 1);
      return out ? tf.reshape(out, lin.output.shape) : tf.zerosLike(lin.output);
    });
  } finally {
    disposeProgram(lin.program);
    lin.output.dispose();
  }
}

/** f(p0) + J·Δ + ½·H[Δ, Δ] at x: the outer trace of p ↦ J(p)·Δ at p0 gives J·Δ and, pushed Δ, H[Δ, Δ]. */
function secondOrder(
  g: ParamFn,
  p0: Record<string, tf.Tensor>,
  params: Record<string, tf.Tensor>,
  x: Tensor | Tensor[],
) {
  const delta = tf.tidy(() => Object.fromEntries(Object.keys(p0).map((n) => [n, tf.sub(params[n], p0[n])])));
  try {
    const inner: ParamFn = (p, xs) => jvpAt(g, p, delta, xs);
    let outer;
    try {
      outer = traceInput(inner, p0, x, "x");
    } catch (e) {
      if (!(e instanceof UnsupportedKernelError)) throw e;
      throw new UnsupportedKernelError(
        e.kernels,
        " for the second derivative (taylorExpand degree 2 traces the first-order rules' own ops): use degree 1",
      );
    }
    try {
      const f0 = evaluateOutput(g, p0, x);
      return tf.tidy(() => {
        const tangents = new Map(Object.keys(p0).map((n) => [n, tf.expandDims(delta[n], 0)]));
        const h = forward(outer.program, tangents, 1);
        const curvature = h ? tf.mul(0.5, tf.reshape(h, outer.output.shape)) : tf.zerosLike(outer.output);
        const out = tf.add(tf.add(f0, outer.output), curvature);
        f0.dispose();
        return out;
      });
    } finally {
      disposeProgram(outer.program);
      outer.output.dispose();
    }
  } finally {
    tf.dispose(Object.values(delta));
  }
}

/**
 * The Taylor expansion of `f` in its parameters around `params0`, to `degree` 0, 1 or 2, as
 * neural-tangents' `taylor_expand`: degree 0 is `f(params0, x)`; degree 1 is `linearize(f,
 * params0)`, `f(params0, x) + J·Δ` with Δ = params − params0; degree 2 adds ½·H[Δ, Δ], the
 * second directional derivative, computed as a JVP of a JVP through the engine (each call traces
 * f at params0 inside a trace of p ↦ J(p)·Δ; no finite differences). Degree 2 costs about two
 * traces and two JVPs per call.
 *
 * Degree 2 needs a rule for every op that the first-order rules of f's kernels use (the
 * derivative of tanh, 1 − tanh², is traced in turn): where one is missing the call throws
 * UnsupportedKernelError naming it. The result owns a copy of `params0`; `dispose()` frees it.
 *
 * @param f `f(params, x, ...rest)`, as for `linearize`
 * @param params0 the expansion point (float32 tensors, in any tree)
 * @param degree 0, 1 or 2
 * @returns `fT(params, x, ...rest)` with `.params0` and `.dispose()`
 * @throws {InvalidOptionError} for a degree other than 0, 1, 2
 * @throws {DTypeError} for a parameter that is not float32
 * @throws {ShapeMismatchError} when `fT` gets parameters with other names or shapes than `params0`
 * @throws {UnsupportedKernelError} (degree 2, from `fT`) for an op without a second-order rule
 *
 * @example Usage
 * ```ts
 * // deno run --allow-read
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { taylorExpand } from "@fast-ntk/fast-ntk";
 * const f = (p: Record<string, tf.Tensor>, x: tf.Tensor | tf.Tensor[]) =>
 *   tf.matMul(tf.tanh(tf.matMul(x as tf.Tensor, p.w1)), p.w2);
 * const params0 = { w1: tf.randomNormal([3, 8]), w2: tf.randomNormal([8, 2]) };
 * const fQuad = taylorExpand(f, params0, 2);
 * const x = tf.randomNormal([4, 3]);
 * const params = { w1: tf.add(params0.w1, 0.01), w2: tf.add(params0.w2, 0.01) };
 * const err = (y: tf.Tensor) => tf.max(tf.abs(tf.sub(y, f(params, x) as tf.Tensor))).dataSync()[0];
 * const fLin = taylorExpand(f, params0, 1);
 * assert.ok(err(fQuad(params, x)) < err(fLin(params, x))); // second order is closer
 * fQuad.dispose();
 * fLin.dispose();
 * ```
 */
export function taylorExpand<P extends object = Record<string, Tensor>, R extends unknown[] = []>(
  f: TreeParamFn<P, R>,
  params0: P,
  degree: 0 | 1 | 2,
): LinearizedFn<P, R> {
  if (degree !== 0 && degree !== 1 && degree !== 2) throw new InvalidOptionError("degree", degree, ["0", "1", "2"]);
  // linearize validates and copies params0, and checks each call's params against it.
  const fLin = linearize(f, params0);
  if (degree === 1) return fLin;
  const p0 = flatParamsOf(fLin.params0) as Record<string, tf.Tensor>;
  const fT = ((tree: P, x: Tensor | Tensor[], ...rest: R) => {
    const params = checkLike(p0, tree);
    const g = bindParams(f, params0, rest) as ParamFn;
    return degree === 0 ? evaluateOutput(g, p0, x) : secondOrder(g, p0, params, x);
  }) as LinearizedFn<P, R>;
  Object.defineProperty(fT, "params0", { value: fLin.params0, enumerable: true });
  fT.dispose = () => fLin.dispose();
  return fT;
}
