/**
 * `empiricalNngpFn`: the empirical NNGP f(x1)·f(x2)ᵀ in the NTK's layout, and
 * `empiricalKernelFn`: the NTK and the NNGP together, the NNGP taken from the NTK's own traces.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type BackendName, ensureBackend } from "../core/backend.ts";
import { InvalidOptionError, ShapeMismatchError } from "../core/errors.ts";
import { contract2 } from "../core/einsum.ts";
import { checkPairedAxes, layoutLabels, meanOverTraced, normalizeLayout } from "../core/layout.ts";
import { empiricalNtkFn, type EmpiricalNtkOptions } from "../api/empirical_ntk.ts";
import { checkArguments, checkFiniteArguments, checkNtkOptions, type Input } from "../core/validate.ts";
import { evaluateOutput, type ParamFn } from "../../adapters/trace.ts";
import type { Tensor } from "../core/types.ts";
import { emptyProblemKernel, explainTraceError } from "../api/inputs.ts";
import { flatCall, type TreeParamFn } from "../core/param_tree.ts";

/** Options of `empiricalNngpFn`: the output layout and the backend. */
export interface EmpiricalNngpOptions {
  /** Output axes contracted pairwise and averaged. @default [-1] */
  traceAxes?: number[];
  /** Output axes of which only the diagonal is kept. @default [] */
  diagonalAxes?: number[];
  /** Backend to run on; by default the one in use, or the fastest present. */
  backend?: BackendName | "auto";
}

/** The NNGP f(x1)·f(x2)ᵀ at `params` (x2 = null: x1), in the layout of the options. */
export type EmpiricalNngp<P = Record<string, Tensor>, R extends unknown[] = []> = (
  x1: Input,
  x2: Input | null,
  params: P,
  ...rest: R
) => Promise<Tensor>;

/** f's output as the NTK sees it: several outputs flattened per row and concatenated. */
function asOutput(y: tf.Tensor | tf.Tensor[]): tf.Tensor {
  if (!Array.isArray(y)) return y;
  return tf.tidy(() => tf.concat(y.map((t) => tf.reshape(t, [t.shape[0], -1])), 1));
}

/** f(params, x) as a tensor of ours; a failure is reported on the user's argument `arg`. */
function evaluate(f: ParamFn, params: Record<string, tf.Tensor>, x: Input, arg: string): tf.Tensor {
  try {
    return evaluateOutput(f, params, x);
  } catch (e) {
    throw explainTraceError(e, f, params, x, arg);
  }
}

/**
 * The layout applied to the outer product of two outputs — traced axes contracted and divided
 * by their size, diagonal axes once, others paired (x1's, x2's) — exactly as the NTK's layout.
 */
function nngpOfOutputs(y1: tf.Tensor, y2: tf.Tensor, traceAxes: number[], diagonalAxes: number[]): tf.Tensor {
  const [s1, s2] = [y1.shape, y2.shape];
  if (s1.length < 1) throw new ShapeMismatchError("f's output", s1, "expected a leading example axis");
  if (s2.length !== s1.length) {
    throw new ShapeMismatchError("f's output at x2", s2, `rank differs from x1's [${s1}]`);
  }
  const layout = normalizeLayout(s1.length, traceAxes, diagonalAxes);
  checkPairedAxes(layout, s1, s2);
  // No entries on a side: sums over nothing (backends disagree on reducing an empty axis).
  if (y1.size === 0 || y2.size === 0) return emptyProblemKernel(layout, s1, s2);
  const { one, two, out } = layoutLabels(layout);
  return tf.tidy(() => meanOverTraced(contract2(y1, one, y2, two, out), layout, s1));
}

/** The NNGP from plain evaluations of f (no tracing): one forward pass per side. */
function nngpByEvaluation(
  f: ParamFn,
  params: Record<string, tf.Tensor>,
  x1: Input,
  x2: Input | null,
  traceAxes: number[],
  diagonalAxes: number[],
): tf.Tensor {
  const y1 = evaluate(f, params, x1, "x1");
  let y2 = y1;
  try {
    if (x2) y2 = evaluate(f, params, x2, "x2");
  } catch (e) {
    y1.dispose();
    throw e;
  }
  try {
    return nngpOfOutputs(y1, y2, traceAxes, diagonalAxes);
  } finally {
    tf.dispose([y1, y2]);
  }
}

/**
 * Returns a function computing the empirical NNGP kernel of `f`, f(x1)·f(x2)ᵀ, in
 * neural-tangents' layout — the same as `empiricalNtkFn`'s: with the default `traceAxes: [-1]`,
 * `[N1, N2]` with `K[i, j] = mean_o f(x1)[i, o]·f(x2)[j, o]`; with `traceAxes: []`,
 * `[N1, N2, O, O]`; `diagonalAxes` keep one copy of an axis.
 *
 * @param userF `f(params, x, ...rest)`: a function of a parameter tree, the input (leading axis:
 *   examples) and extra arguments (the call's `rest`, passed as they are)
 * @param options layout and backend
 * @returns `async (x1, x2, params, ...rest) => kernel` (x2 = null: x1)
 * @throws {InvalidOptionError} (from the returned function) for an axis out of range
 * @throws {ShapeMismatchError} (from the returned function) when traced or diagonal axes differ in size between x1 and x2
 *
 * @example Usage
 * ```ts
 * // deno run --allow-read
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { empiricalNngpFn } from "@fast-ntk/fast-ntk";
 * const f = (p: Record<string, tf.Tensor>, x: tf.Tensor | tf.Tensor[]) =>
 *   tf.matMul(tf.relu(tf.matMul(x as tf.Tensor, p.w1)), p.w2);
 * const params = { w1: tf.randomNormal([3, 8]), w2: tf.randomNormal([8, 2]) };
 * const nngp = empiricalNngpFn(f);
 * const [x1, x2] = [tf.randomNormal([4, 3]), tf.randomNormal([5, 3])];
 * const k = await nngp(x1, x2, params); // [4, 5]: f(x1)·f(x2)ᵀ / 2, the mean over the 2 outputs
 * assert.deepEqual(k.shape, [4, 5]);
 * const want = tf.div(tf.matMul(f(params, x1), f(params, x2), false, true), 2);
 * assert.ok(tf.max(tf.abs(tf.sub(k, want))).dataSync()[0] <= 1e-4 * tf.max(tf.abs(want)).dataSync()[0]);
 * ```
 */
export function empiricalNngpFn<P extends object = Record<string, Tensor>, R extends unknown[] = []>(
  userF: TreeParamFn<P, R>,
  options: EmpiricalNngpOptions = {},
): EmpiricalNngp<P, R> {
  if (typeof userF !== "function") throw new InvalidOptionError("f", typeof userF, ["a function f(params, x)"]);
  const traceAxes = options.traceAxes ?? [-1];
  const diagonalAxes = options.diagonalAxes ?? [];
  return async (x1, x2, tree, ...rest) => {
    const { flat: params, fn } = flatCall(userF, tree, rest);
    const f = fn as ParamFn;
    checkNtkOptions(options); // (documented as thrown by the returned function)
    await ensureBackend(options.backend);
    checkArguments(x1, x2, params, f);
    await checkFiniteArguments(x1, x2, params);
    return nngpByEvaluation(f, params, x1, x2, traceAxes, diagonalAxes);
  };
}

/** The kernels `empiricalKernelFn` computes. */
export type KernelName = "ntk" | "nngp";
/** Every kernel name `empiricalKernelFn` accepts. */
export const KERNEL_NAMES: readonly KernelName[] = ["ntk", "nngp"];

/** The names requested by a `get` argument. */
export type Requested<G> = G extends readonly (infer K)[] ? K : G;

/** The requested kernels, by name: `{ ntk }`, `{ nngp }` or `{ ntk, nngp }`. */
export type Kernels<K extends KernelName> = { [k in K]: Tensor };

/** The kernel function `empiricalKernelFn` returns. */
export interface EmpiricalKernel<P = Record<string, Tensor>, R extends unknown[] = []> {
  /**
   * The kernels named by `get` at `params` (x2 = null: x1), f called as `f(params, x, ...rest)`
   * (with extra arguments, `get` must be given). @default get ["ntk", "nngp"]
   */
  <G extends KernelName | readonly KernelName[] = ["ntk", "nngp"]>(
    x1: Input,
    x2: Input | null,
    params: P,
    get?: G,
    ...rest: R
  ): Promise<Kernels<Requested<G> & KernelName>>;
  /** Frees what this function caches; it cannot be called afterwards. */
  dispose(): void;
}

/** What one call wants captured of f's outputs while the NTK traces it. */
interface Capture {
  params: Record<string, tf.Tensor>;
  inputs: Input[];
  outputs: Map<Input, tf.Tensor | tf.Tensor[]>;
}

/**
 * Returns a function computing the empirical NTK and/or NNGP of `f` in one call, both in the
 * layout of `options` (see `empiricalNtkFn` and `empiricalNngpFn`). The NNGP costs no extra
 * forward pass when the NTK is computed too: the NTK traces f once per side, and the traced
 * output is f(x) — the NNGP is taken from it. (Only when the NTK is tiled into blocks of
 * examples, by `memoryBudget`, `blockSize` or `block`, is f evaluated once more per side.)
 *
 * The result is an object holding the requested kernels: `get: "ntk"` → `{ ntk }`,
 * `"nngp"` → `{ nngp }`, `["ntk", "nngp"]` (the default) → `{ ntk, nngp }`.
 *
 * @param userF `f(params, x, ...rest)`: a function of a parameter tree, the input (leading axis:
 *   examples) and extra arguments (the call's `rest`, after `get`, passed as they are)
 * @param options as `empiricalNtkFn`'s; `traceAxes` and `diagonalAxes` apply to both kernels
 * @returns `async (x1, x2, params, get, ...rest) => ({ ntk?, nngp? })`, with `.dispose()`
 * @throws {InvalidOptionError} for an unknown method, or (from the returned function) an unknown kernel in `get`
 *
 * @example Usage
 * ```ts
 * // deno run --allow-read
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { empiricalKernelFn } from "@fast-ntk/fast-ntk";
 * const f = (p: Record<string, tf.Tensor>, x: tf.Tensor | tf.Tensor[]) =>
 *   tf.matMul(tf.tanh(tf.matMul(x as tf.Tensor, p.w1)), p.w2);
 * const params = { w1: tf.randomNormal([3, 8]), w2: tf.randomNormal([8, 2]) };
 * const kernelFn = empiricalKernelFn(f, { traceAxes: [] });
 * const { ntk, nngp } = await kernelFn(tf.randomNormal([4, 3]), null, params, ["ntk", "nngp"]); // both [4, 4, 2, 2]
 * assert.deepEqual(ntk.shape, [4, 4, 2, 2]);
 * assert.deepEqual(nngp.shape, [4, 4, 2, 2]);
 * ```
 */
export function empiricalKernelFn<P extends object = Record<string, Tensor>, R extends unknown[] = []>(
  userF: TreeParamFn<P, R>,
  options: EmpiricalNtkOptions = {},
): EmpiricalKernel<P, R> {
  if (typeof userF !== "function") throw new InvalidOptionError("f", typeof userF, ["a function f(params, x)"]);
  const traceAxes = options.traceAxes ?? [-1];
  const diagonalAxes = options.diagonalAxes ?? [];
  const captures = new Set<Capture>();
  // The call's f on the flat record (its tree and extra arguments bound) comes as an extra
  // argument; its outputs are kept at the inputs a pending call asked for (the first trace of each).
  const tapped = (params: Record<string, tf.Tensor>, x: Input, f: ParamFn) => {
    const y = f(params, x);
    for (const c of captures) {
      if (c.params === params && c.inputs.includes(x) && !c.outputs.has(x)) {
        // (A clone shares the buffer; the tracer records it, and prunes it as unused.)
        c.outputs.set(x, Array.isArray(y) ? y.map((t) => tf.keep(tf.clone(t))) : tf.keep(tf.clone(y)));
      }
    }
    return y;
  };
  const ntkFn = empiricalNtkFn(tapped, options);
  let disposed = false;
  const fn = async (x1: Input, x2: Input | null, tree: P, get?: unknown, ...rest: R) => {
    if (disposed) throw new Error("This kernel function was disposed");
    const { flat: params, fn } = flatCall(userF, tree, rest);
    const f = fn as ParamFn;
    const names = get === undefined ? KERNEL_NAMES : Array.isArray(get) ? get : [get];
    if (!names.length || names.some((n) => !KERNEL_NAMES.includes(n))) {
      throw new InvalidOptionError("get", get, KERNEL_NAMES);
    }
    const out: Partial<Record<KernelName, tf.Tensor>> = {};
    checkArguments(x1, x2, params, f);
    if (!names.includes("ntk")) {
      await ensureBackend(options.backend);
      await checkFiniteArguments(x1, x2, params);
      out.nngp = nngpByEvaluation(f, params, x1, x2, traceAxes, diagonalAxes);
      return out;
    }
    if (!names.includes("nngp")) return { ntk: await ntkFn(x1, x2, params, f) };
    const capture: Capture = { params, inputs: x2 ? [x1, x2] : [x1], outputs: new Map() };
    captures.add(capture);
    try {
      const ntk = await ntkFn(x1, x2, params, f);
      try {
        const side = (x: Input) => {
          const kept = capture.outputs.get(x);
          return kept ? asOutput(kept) : evaluate(f, params, x, x === x1 ? "x1" : "x2");
        };
        const y1 = side(x1);
        const y2 = x2 ? side(x2) : y1;
        try {
          out.nngp = nngpOfOutputs(y1, y2, traceAxes, diagonalAxes);
        } finally {
          // A single captured output is y1 or y2 itself, freed below with the captures.
          const captured = new Set([...capture.outputs.values()].flat());
          tf.dispose([y1, y2].filter((y) => !captured.has(y)));
        }
      } catch (e) {
        ntk.dispose();
        throw e;
      }
      out.ntk = ntk;
      return out;
    } finally {
      captures.delete(capture);
      capture.outputs.forEach((k) => tf.dispose(k));
    }
  };
  const kernelFn = fn as EmpiricalKernel<P, R>;
  kernelFn.dispose = () => {
    disposed = true;
    ntkFn.dispose();
  };
  return kernelFn;
}
