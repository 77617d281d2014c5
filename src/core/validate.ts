/**
 * Argument checks at the public boundary: float parameters, matching feature shapes, finite
 * values. Each failure is a named error naming the argument.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { DTypeError, InvalidOptionError, NonFiniteInputError, ShapeMismatchError } from "./errors.ts";
import { floatMask } from "./tensor_util.ts";
import type { Tensor } from "./types.ts";

/** A model input: one tensor, or several (multi-input models), the examples along axis 0. */
export type Input = Tensor | Tensor[];

export function asList(x: Input): Tensor[] {
  return Array.isArray(x) ? x : [x];
}

/**
 * What a wrapped model tells the argument checks about itself (`fromLayersModel`'s `f` carries
 * it as `f.spec`): its inputs (`null`: any size) and the parameters it expects, by name.
 */
export interface ParamFnSpec {
  /** Each input's shape (`null`: unknown, unchecked). */
  inputs: { name: string; shape: (number | null)[] | null }[];
  /** The parameters f expects, by name, with their shapes. */
  params: Record<string, number[]>;
}

/** The spec `f` carries, if any. */
export function specOf(f: unknown): ParamFnSpec | undefined {
  return (f as { spec?: ParamFnSpec } | null)?.spec;
}

/**
 * Checks structure, dtypes and shapes; values are checked by `checkFinite`. With `f` a wrapped
 * model, also the inputs against the model's inputs and the parameters against its weights.
 */
export function checkArguments(x1: Input, x2: Input | null, params: Record<string, Tensor>, f?: unknown): void {
  if (params === null || typeof params !== "object" || params instanceof tf.Tensor || Array.isArray(params)) {
    throw new ShapeMismatchError("params", typeof params, "expected an object of named tensors");
  }
  for (const [name, p] of Object.entries(params)) {
    if (!(p instanceof tf.Tensor)) throw new ShapeMismatchError(`params["${name}"]`, typeof p, "expected a tf.Tensor");
    if (p.isDisposed) throw new ShapeMismatchError(`params["${name}"]`, "disposed", "the tensor is disposed");
    if (p.dtype !== "float32") throw new DTypeError(`params["${name}"]`, p.dtype, "float32");
  }
  const l1 = asList(x1);
  if (!l1.length) throw new ShapeMismatchError("x1", [], "expected a tensor or a non-empty list of tensors");
  l1.forEach((t, i) => checkInput(t, l1.length > 1 ? `x1[${i}]` : "x1"));
  checkSameRows(l1, "x1");
  const spec = specOf(f);
  if (spec) {
    checkModelInputs(l1, "x1", spec);
    checkModelParams(params, spec);
  }
  if (x2 === null || x2 === undefined) return;
  const l2 = asList(x2);
  if (l1.length !== l2.length) {
    throw new ShapeMismatchError("x2", l2.length, `expected ${l1.length} input tensor(s) like x1`);
  }
  l2.forEach((t, i) => {
    const name = l2.length > 1 ? `x2[${i}]` : "x2";
    checkInput(t, name);
    const [f1, f2] = [l1[i].shape.slice(1), t.shape.slice(1)];
    if (f1.length !== f2.length || f1.some((s, j) => s !== f2[j])) {
      throw new ShapeMismatchError(name, t.shape, `its feature shape [${f2}] differs from x1's [${f1}]`);
    }
    if (t.dtype !== l1[i].dtype) throw new DTypeError(name, t.dtype, l1[i].dtype);
  });
  checkSameRows(l2, "x2");
}

/** Several inputs are one batch: the same number of examples in each. */
function checkSameRows(l: tf.Tensor[], side: string): void {
  const bad = l.findIndex((t) => t.shape[0] !== l[0].shape[0]);
  if (bad > 0) {
    throw new ShapeMismatchError(`${side}[${bad}]`, l[bad].shape, `expected ${l[0].shape[0]} examples like ${side}[0]`);
  }
}

const showShape = (s: readonly (number | null)[]) => `[${s.map((d) => d ?? "any").join(", ")}]`;

/** The inputs against a wrapped model's inputs (the leading, example axis is free). */
export function checkModelInputs(l: tf.Tensor[], side: string, spec: ParamFnSpec): void {
  if (l.length !== spec.inputs.length) {
    throw new ShapeMismatchError(side, l.length, `the model takes ${spec.inputs.length} input tensor(s)`);
  }
  l.forEach((t, i) => {
    const want = spec.inputs[i].shape;
    if (!want) return;
    const ok = t.rank === want.length && want.every((d, j) => j === 0 || d === null || d === t.shape[j]);
    if (!ok) {
      const name = l.length > 1 ? `${side}[${i}]` : side;
      throw new ShapeMismatchError(
        name,
        t.shape,
        `the model's input "${spec.inputs[i].name}" takes ${showShape(want)} (any number of examples)`,
      );
    }
  });
}

/** The parameters against a wrapped model's selected weights: none missing, none extra, same shapes. */
export function checkModelParams(params: Record<string, tf.Tensor>, spec: ParamFnSpec): void {
  const expected = Object.keys(spec.params);
  const list = expected.join(", ") || "none";
  const missing = expected.find((n) => !(n in params));
  if (missing) {
    throw new ShapeMismatchError(`params["${missing}"]`, "missing", `the model's parameters are ${list}`);
  }
  const extra = Object.keys(params).find((n) => !(n in spec.params));
  if (extra) {
    throw new ShapeMismatchError(`params["${extra}"]`, "extra", `the model has no such parameter (it has ${list})`);
  }
  for (const [n, shape] of Object.entries(spec.params)) {
    const t = params[n];
    if (t instanceof tf.Tensor && (t.rank !== shape.length || shape.some((d, i) => d !== t.shape[i]))) {
      throw new ShapeMismatchError(`params["${n}"]`, t.shape, `the model's weight has shape [${shape}]`);
    }
  }
}

/** Options of the NTK functions, each checked where it is given. */
export interface CheckedOptions {
  traceAxes?: unknown;
  diagonalAxes?: unknown;
  backend?: unknown;
  memoryBudget?: unknown;
  maxTensorBytes?: unknown;
  blockSize?: unknown;
  block?: unknown;
  onProgress?: unknown;
}

const BACKEND_CHOICES = ["auto", "webgpu", "native", "wasm", "cpu"];

/** Rejects options out of range, naming the option and what it accepts. */
export function checkNtkOptions(options: CheckedOptions): void {
  if (options === null || typeof options !== "object") {
    throw new InvalidOptionError("options", options, ["an object of options"]);
  }
  const axes = (name: "traceAxes" | "diagonalAxes") => {
    const v = options[name];
    if (v === undefined) return [];
    if (!Array.isArray(v) || v.some((a) => !Number.isInteger(a))) {
      throw new InvalidOptionError(name, v, ["an array of integer output axes"]);
    }
    if (new Set(v).size !== v.length) throw new InvalidOptionError(name, v, ["distinct axes"]);
    return v as number[];
  };
  const [trace, diag] = [axes("traceAxes"), axes("diagonalAxes")];
  const both = trace.filter((a) => diag.includes(a));
  if (both.length) throw new InvalidOptionError("traceAxes/diagonalAxes", both, ["disjoint axes"]);
  if (options.backend !== undefined && !BACKEND_CHOICES.includes(options.backend as string)) {
    throw new InvalidOptionError("backend", options.backend, BACKEND_CHOICES);
  }
  for (const name of ["memoryBudget", "maxTensorBytes"] as const) {
    const v = options[name];
    if (v !== undefined && !(typeof v === "number" && v > 0 && !Number.isNaN(v))) {
      throw new InvalidOptionError(name, v, ["a positive number of bytes"]);
    }
  }
  const size = options.blockSize;
  if (size !== undefined && !(Number.isInteger(size) && (size as number) >= 1)) {
    throw new InvalidOptionError("blockSize", size, ["a positive integer (examples per block)"]);
  }
  const block = options.block;
  if (block !== undefined) {
    const [i, n] = Array.isArray(block) && block.length === 2 ? block : [NaN, NaN];
    if (!(Number.isInteger(n) && n >= 1 && Number.isInteger(i) && i >= 0 && i < n)) {
      throw new InvalidOptionError("block", block, ["[i, n] with integers 0 ≤ i < n"]);
    }
  }
  if (options.onProgress !== undefined && typeof options.onProgress !== "function") {
    throw new InvalidOptionError("onProgress", typeof options.onProgress, ["a function of the fraction done"]);
  }
}

function checkInput(t: tf.Tensor, name: string): void {
  if (!(t instanceof tf.Tensor)) throw new ShapeMismatchError(name, typeof t, "expected a tf.Tensor");
  if (t.isDisposed) throw new ShapeMismatchError(name, "disposed", "the tensor is disposed");
  if (t.rank < 1) throw new ShapeMismatchError(name, t.shape, "expected a leading example axis");
  if (!["float32", "int32"].includes(t.dtype)) throw new DTypeError(name, t.dtype, "float32 or int32");
}

/** Throws NonFiniteInputError naming the first argument holding NaN or ±Infinity. */
export async function checkFinite(named: [string, Tensor][]): Promise<void> {
  const floats = named.filter(([, t]) => t.dtype === "float32" && t.size > 0);
  if (!floats.length) return;
  // Flat: tfjs-webgpu reduces at most 6 axes.
  const flags = tf.tidy(() => tf.stack(floats.map(([, t]) => floatMask(tf.all(tf.isFinite(tf.reshape(t, [-1])))))));
  const ok = await flags.data();
  flags.dispose();
  const bad = floats.findIndex((_, i) => ok[i] !== 1);
  if (bad >= 0) throw new NonFiniteInputError(floats[bad][0]);
}

/** The names of x's tensors in errors: `x1`, or `x1[i]` for a list. */
function namedInputs(side: string, x: Input): [string, Tensor][] {
  return asList(x).map((t, i, l) => [l.length > 1 ? `${side}[${i}]` : side, t]);
}

/**
 * Throws NonFiniteInputError naming the first parameter or input (or one of `more`) holding NaN
 * or ±Infinity: the one list of what every public function checks.
 */
export function checkFiniteArguments(
  x1: Input,
  x2: Input | null,
  params: Record<string, Tensor>,
  more: [string, Tensor][] = [],
): Promise<void> {
  return checkFinite([
    ...Object.entries(params).map(([n, t]) => [`params["${n}"]`, t] as [string, Tensor]),
    ...namedInputs("x1", x1),
    ...(x2 ? namedInputs("x2", x2) : []),
    ...more,
  ]);
}
