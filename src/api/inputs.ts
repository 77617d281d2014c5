/**
 * The user's inputs at the tracer: tracing x1 or x2 with errors that name the argument, and
 * the kernel of an empty problem (no examples, no parameter entries, or no output entries).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import * as errors from "../core/errors.ts";
import { ShapeMismatchError } from "../core/errors.ts";
import { type Layout, layoutLabels, tracedSize } from "../core/layout.ts";
import { asList, type Input } from "../core/validate.ts";
import { type Linearized, type ParamFn, traceLinear } from "../../adapters/trace.ts";
import { ON_MISSING } from "../core/param_tree.ts";

/** Whether `e` is one of fast-ntk's named errors (already naming what it is about). */
export function isNamedError(e: unknown): boolean {
  return Object.values(errors).some((C) => typeof C === "function" && e instanceof C);
}

function shapeOf(x: Input): number[] | number[][] {
  return Array.isArray(x) ? x.map((t) => t.shape) : x.shape;
}

/** Property names that generic code reads from any object; not parameter names. */
const NOT_PARAMETERS = new Set(["then", "toJSON", "constructor", "asymmetricMatch", "$$typeof", "nodeType"]);

/**
 * The error to report when `f(params, x)` threw `e` on the user's own argument `arg`. A named
 * error passes through; f's own tensor above tfjs-webgpu's rank limit is a GpuError. Otherwise f is run once more with a params record that notes which
 * names f reads and `params` lacks: a missing parameter is named; else the failure is a
 * ShapeMismatchError naming `arg` and its shape, with the original error as its cause.
 */
export function explainTraceError(
  e: unknown,
  f: ParamFn,
  params: Record<string, tf.Tensor>,
  x: Input,
  arg: string,
): Error {
  if (isNamedError(e)) return e as Error;
  const rank = /GPU for rank (\d+) is not yet supported/.exec(e instanceof Error ? e.message : String(e));
  if (rank && tf.getBackend() === "webgpu") {
    const err = new errors.GpuError(
      `f(params, ${arg}) makes a tensor of rank ${rank[1]}, and tfjs-webgpu runs kernels up to rank 6 only; ` +
        `call tf.setBackend("wasm") or "cpu" for this f`,
    );
    return Object.assign(err, { cause: e });
  }
  const missing: string[] = [];
  // (A tree's leaves are read from the tree f gets: it reports the paths it lacks through ON_MISSING.)
  const onMissing = (path: string) => void (NOT_PARAMETERS.has(path.split("/").pop()!) || missing.push(path));
  const watched = new Proxy(params, {
    get(target, key, receiver) {
      if (key === ON_MISSING) return onMissing;
      if (typeof key === "string" && !(key in target)) onMissing(key);
      return Reflect.get(target, key, receiver);
    },
  });
  try {
    tf.dispose(tf.tidy(() => f(watched, x)));
  } catch { /* the same failure, expected */ }
  const message = e instanceof Error ? e.message : String(e);
  if (missing.length) {
    const read = missing[0].includes("/") ? `the leaf at "${missing[0]}"` : `params.${missing[0]}`;
    const err = new ShapeMismatchError(
      `params["${missing[0]}"]`,
      "missing",
      `f reads ${read}, which params lacks (params has ${Object.keys(params).join(", ") || "nothing"})`,
    );
    return Object.assign(err, { cause: e });
  }
  const err = new ShapeMismatchError(arg, shapeOf(x), `f(params, ${arg}) failed on it: ${message}`);
  return Object.assign(err, { cause: e });
}

/**
 * `traceLinear` on the user's argument `arg` (or a block of its rows), failures reported by
 * `explainTraceError` on the user's own `given` argument.
 */
export function traceInput(
  f: ParamFn,
  params: Record<string, tf.Tensor>,
  x: Input,
  arg: string,
  given: Input = x,
): Linearized {
  try {
    return traceLinear(f, params, x);
  } catch (e) {
    throw explainTraceError(e, f, params, given, arg);
  }
}

/** The kernel's shape in `layout` for outputs shaped `s1` (x1's) and `s2` (x2's). */
export function kernelShape(layout: Layout, s1: readonly number[], s2: readonly number[]): number[] {
  return layoutLabels(layout).out.map((label) => {
    const [side, axis] = [String(label)[0], Number(String(label).slice(1))];
    return side === "b" ? s2[axis] : s1[axis];
  });
}

/**
 * The kernel when J1 or J2 has no entries (no examples, no parameter entries, no output
 * entries): every entry is a sum over nothing, 0, divided by the traced size as everywhere —
 * so a mean over empty traced axes is 0/0 = NaN, as neural-tangents returns. Filled, not
 * computed: the kernel's rank reaches 2× the output's, where tfjs-wasm's binary ops fail
 * silently (uninitialised entries).
 */
export function emptyProblemKernel(layout: Layout, s1: readonly number[], s2: readonly number[]): tf.Tensor {
  const shape = kernelShape(layout, s1, s2); // flat, then shaped: tfjs-webgpu fills up to rank 6 only
  return tf.tidy(() => tf.reshape(tf.fill([shape.reduce((a, b) => a * b, 1)], 0 / tracedSize(layout, s1)), shape));
}

/** Whether f's outputs `s1`, `s2` and the parameters leave nothing to contract. */
export function isEmptyProblem(
  params: Record<string, tf.Tensor>,
  s1: readonly number[],
  s2: readonly number[],
): boolean {
  const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
  const paramEntries = Object.values(params).reduce((a, t) => a + t.size, 0);
  return size(s1) === 0 || size(s2) === 0 || paramEntries === 0;
}

/** ExampleRows of an input (each of several inputs has the same leading size, checked elsewhere). */
export function rowsOf(x: Input): number {
  return asList(x)[0].shape[0];
}
