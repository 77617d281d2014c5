/**
 * `monteCarloKernelFn`: the NTK and/or NNGP averaged over seeded random initializations, as
 * neural-tangents' `monte_carlo_kernel_fn` — an estimate of the infinite-width (or expected
 * finite-width) kernels. Sample i's parameters come from `init(seed + i)`, or, for a tfjs-layers
 * model, from a fresh model built from the model's config with every initializer seeded from
 * `seed + i` (the caller's model is never touched).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { InvalidOptionError } from "../core/errors.ts";
import type { LayersModel, Tensor } from "../core/types.ts";
import type { Input } from "../core/validate.ts";
import type { TreeParamFn } from "../core/param_tree.ts";
import { fromLayersModel } from "../../adapters/layers.ts";
import type { EmpiricalNtkOptions } from "../api/empirical_ntk.ts";
import { empiricalKernelFn, KERNEL_NAMES, type KernelName, type Kernels, type Requested } from "./nngp.ts";

/** Options of `monteCarloKernelFn`: samples, seed, default kernels, and the empirical kernels' options. */
export interface MonteCarloKernelOptions extends EmpiricalNtkOptions {
  /** How many initializations to average over. @default 1 */
  nSamples?: number;
  /** Sample i is initialized from seed + i. @default 0 */
  seed?: number;
  /** The kernels computed when a call gives no `get`. @default ["ntk", "nngp"] */
  kernels?: KernelName | KernelName[];
}

/** The kernels' averages and, from two samples on, their standard errors (std / √nSamples, elementwise). */
export interface MonteCarloKernels<K extends KernelName> {
  /** The mean of each kernel over the samples. */
  kernels: Kernels<K>;
  /** Each kernel's standard error, elementwise: sample standard deviation / √nSamples (nSamples ≥ 2). */
  standardError?: Kernels<K>;
}

/** The function `monteCarloKernelFn` returns. */
export interface MonteCarloKernel {
  /** The averaged kernels named by `get` (x2 = null: x1). @default get the `kernels` option */
  <G extends KernelName | readonly KernelName[] = ["ntk", "nngp"]>(
    x1: Input,
    x2: Input | null,
    get?: G,
  ): Promise<Kernels<Requested<G> & KernelName>>;
  /** The averaged kernels and their standard errors. */
  run<G extends KernelName | readonly KernelName[] = ["ntk", "nngp"]>(
    x1: Input,
    x2: Input | null,
    get?: G,
  ): Promise<MonteCarloKernels<Requested<G> & KernelName>>;
}

/** A small deterministic generator (mulberry32) for the initializers' seeds. */
function seeds(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) % 2 ** 31;
  };
}

/** A copy of a layers config with a seed in every initializer's config (`…Initializer: { className, config }`). */
function seeded(config: unknown, next: () => number): unknown {
  if (Array.isArray(config)) return config.map((c) => seeded(c, next));
  if (config === null || typeof config !== "object") return config;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    const v = value as { className?: unknown; config?: Record<string, unknown> } | null;
    const isInitializer = /Initializer$/.test(key) && v && typeof v === "object" && typeof v.className === "string";
    out[key] = isInitializer ? { ...v, config: { ...(v.config ?? {}), seed: next() } } : seeded(value, next);
  }
  return out;
}

/** A fresh model from `model`'s config, its initializers seeded from `seed`. */
function reinitialized(model: LayersModel, seed: number): LayersModel {
  // deno-lint-ignore no-explicit-any
  const cls = model.constructor as any;
  return cls.fromConfig(cls, seeded(model.getConfig(), seeds(seed)));
}

/** One sample's function and parameters, and how to free them. */
interface Sample {
  f: TreeParamFn<object>;
  params: object;
  dispose(): void;
}

function isLayersModel(x: unknown): x is LayersModel {
  return x instanceof tf.LayersModel;
}

/** Welford's running mean and M2 per kernel, on tensors. */
function accumulate(acc: Map<string, { mean: tf.Tensor; m2: tf.Tensor }>, name: string, x: tf.Tensor, count: number) {
  const prev = acc.get(name);
  if (!prev) return acc.set(name, { mean: tf.clone(x), m2: tf.zerosLike(x) });
  const next = tf.tidy(() => {
    const delta = tf.sub(x, prev.mean);
    const mean = tf.add(prev.mean, tf.div(delta, count));
    return { mean, m2: tf.add(prev.m2, tf.mul(delta, tf.sub(x, mean))) };
  });
  tf.dispose([prev.mean, prev.m2]);
  return acc.set(name, next);
}

function checkGet(get: unknown): KernelName[] {
  const names = Array.isArray(get) ? get : [get];
  if (!names.length || names.some((n) => !KERNEL_NAMES.includes(n))) {
    throw new InvalidOptionError("get", get, KERNEL_NAMES);
  }
  return [...new Set(names)] as KernelName[];
}

/**
 * Returns a function computing the NTK and/or NNGP of `f` averaged over `nSamples` random
 * initializations, as neural-tangents' `monte_carlo_kernel_fn`: sample i takes its parameters
 * from `init(seed + i)` (disposed after use) — or, when `init` is a tfjs-layers model (and `f` is
 * null), from a new model built from the model's config with each initializer's seed drawn from
 * `seed + i`, so the model's own initializers (and the user's model, never touched) decide the
 * distribution. Each sample's kernels are the empirical ones of `empiricalKernelFn` (same
 * `traceAxes`, `diagonalAxes`, method options); the result is their mean. The same seed gives
 * the same samples on every call, so `batch` of this function equals the whole.
 *
 * @param init `(seed) => params` (a parameter tree of new tensors), or a tfjs-layers model
 * @param f `f(params, x)`, or null with a layers model
 * @param options `nSamples`, `seed`, default `kernels`, and `empiricalKernelFn`'s options
 * @returns `async (x1, x2, get?) => ({ ntk?, nngp? })`, with `.run` adding standard errors
 * @throws {InvalidOptionError} for a bad nSamples, seed, kernels or init/f pair; (from the
 *   returned function) an unknown kernel in `get`
 *
 * @example Usage
 * ```ts
 * // deno run --allow-read
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { monteCarloKernelFn } from "@fast-ntk/fast-ntk";
 * const width = 256;
 * // NTK parameterization: weights N(0, 1), each layer scaled by 1/√fan_in.
 * const init = (seed: number) => ({
 *   w1: tf.randomNormal([3, width], 0, 1, "float32", 2 * seed),
 *   w2: tf.randomNormal([width, 1], 0, 1, "float32", 2 * seed + 1),
 * });
 * const f = (p: Record<string, tf.Tensor>, x: tf.Tensor | tf.Tensor[]) =>
 *   tf.matMul(tf.relu(tf.matMul(x as tf.Tensor, p.w1).div(Math.sqrt(3))), p.w2).div(Math.sqrt(width));
 * const kernelFn = monteCarloKernelFn(init, f, { nSamples: 4, seed: 1 });
 * const { ntk, nngp } = await kernelFn(tf.randomNormal([5, 3]), null); // both [5, 5]
 * assert.deepEqual(ntk.shape, [5, 5]);
 * assert.deepEqual(nngp.shape, [5, 5]);
 * ```
 */
export function monteCarloKernelFn<P extends object = Record<string, Tensor>>(
  init: ((seed: number) => P) | LayersModel,
  f: TreeParamFn<P> | null,
  options: MonteCarloKernelOptions = {},
): MonteCarloKernel {
  const { nSamples = 1, seed = 0, kernels = ["ntk", "nngp"], ...kernelOptions } = options;
  if (!(Number.isInteger(nSamples) && nSamples > 0)) {
    throw new InvalidOptionError("nSamples", nSamples, ["a whole number > 0"]);
  }
  if (!Number.isInteger(seed)) throw new InvalidOptionError("seed", seed, ["a whole number"]);
  const byDefault = checkGet(kernels);
  const model = isLayersModel(init) ? init : null;
  if (model ? f !== null && f !== undefined : typeof init !== "function" || typeof f !== "function") {
    throw new InvalidOptionError("init", typeof init, [
      "a function (seed) => params with f(params, x)",
      "a tfjs-layers model with f null",
    ]);
  }
  const sample = (s: number): Sample => {
    if (model) {
      const fresh = reinitialized(model, s);
      const { f: g, params } = fromLayersModel(fresh);
      return { f: g as TreeParamFn<object>, params, dispose: () => fresh.dispose() };
    }
    const params = (init as (seed: number) => P)(s);
    return { f: f as TreeParamFn<object>, params, dispose: () => tf.dispose(tensorsOf(params)) };
  };
  const compute = async (x1: Input, x2: Input | null, get: unknown, withError: boolean) => {
    const names = get === undefined ? byDefault : checkGet(get);
    const acc = new Map<string, { mean: tf.Tensor; m2: tf.Tensor }>();
    try {
      for (let i = 0; i < nSamples; i++) {
        const { f: g, params, dispose } = sample(seed + i);
        const kernelFn = empiricalKernelFn(g, kernelOptions);
        try {
          const out = await kernelFn(x1, x2, params, names);
          for (const [name, k] of Object.entries(out) as [string, tf.Tensor][]) accumulate(acc, name, k, i + 1);
          tf.dispose(Object.values(out));
        } finally {
          kernelFn.dispose();
          dispose();
        }
      }
    } catch (e) {
      tf.dispose([...acc.values()].flatMap((a) => [a.mean, a.m2]));
      throw e;
    }
    const kernels = Object.fromEntries([...acc].map(([n, a]) => [n, a.mean]));
    const standardError = nSamples < 2 || !withError ? undefined : Object.fromEntries(
      [...acc].map(([n, a]) => [n, tf.tidy(() => tf.sqrt(tf.div(a.m2, nSamples * (nSamples - 1))))]),
    );
    tf.dispose([...acc.values()].map((a) => a.m2));
    return { kernels, ...(standardError ? { standardError } : {}) };
  };
  const fn =
    (async (x1: Input, x2: Input | null, get?: unknown) =>
      (await compute(x1, x2, get, false)).kernels) as MonteCarloKernel;
  fn.run = ((x1: Input, x2: Input | null, get?: unknown) => compute(x1, x2, get, true)) as MonteCarloKernel["run"];
  return fn;
}

/** Every tensor in a parameter tree. */
function tensorsOf(tree: unknown): tf.Tensor[] {
  if (tree instanceof tf.Tensor) return [tree];
  if (Array.isArray(tree)) return tree.flatMap(tensorsOf);
  if (tree && typeof tree === "object") return Object.values(tree).flatMap(tensorsOf);
  return [];
}
