/**
 * What the main thread and the workers of `empiricalNtkParallelFn` say to each other, and how
 * a worker gets the function: sources are module specifiers or model paths, since functions
 * cannot cross a worker boundary.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { BackendName } from "../core/backend.ts";
import type { ParamFn } from "../../adapters/trace.ts";
import type { EmpiricalNtkOptions, NtkMethod } from "../api/empirical_ntk.ts";
import { fromLayersModel } from "../../adapters/layers.ts";
import { loadModel } from "../../adapters/io.ts";
import { InvalidOptionError } from "../core/errors.ts";
import type { WireCall, WireTensor } from "./wire.ts";

/**
 * Where each worker finds `f`: a tfjs-layers `model.json` (path or URL; `params` picks the
 * trainable weights that are parameters, by name; `flatten` makes the output `[N, all entries]`,
 * several outputs concatenated, as the CLI does), or a module exporting a `ParamFn`.
 */
export type NtkSource =
  | { model: string; params?: string[]; flatten?: boolean }
  | { module: string | URL; export?: string };

/** Options a worker's `empiricalNtkFn` gets: the serializable ones (the method comes per call). */
export type WorkerNtkOptions = Pick<
  EmpiricalNtkOptions,
  "traceAxes" | "diagonalAxes" | "memoryBudget" | "maxTensorBytes"
>;

export type ToWorker =
  | { type: "init"; source: NtkSource; backend: BackendName; options: WorkerNtkOptions }
  /**
   * All parameters, by path; `own`: the paths this worker differentiates (a share of the NTK's
   * sum); the call's tree shape and f's extra arguments.
   */
  | {
    type: "params";
    params: Record<string, WireTensor>;
    method: Exclude<NtkMethod, "auto">;
    own?: string[];
  } & WireCall
  | { type: "block"; id: number; x1: WireTensor[]; x2: WireTensor[] | null };

export type FromWorker =
  | { type: "ready" }
  | { type: "done"; id: number; shape: number[]; data: Float32Array; flops: number; ms: number }
  | { type: "error"; id: number; name: string; message: string };

const isUrl = (s: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(s);

/** The source with paths made absolute, so a worker resolves them as the caller meant. */
export function absoluteSource(source: NtkSource): NtkSource {
  if ("model" in source) {
    return { ...source, model: isUrl(source.model) ? source.model : resolve(source.model) };
  }
  const m = source.module;
  const href = m instanceof URL ? m.href : isUrl(m) ? m : pathToFileURL(resolve(m)).href;
  return { ...source, module: href };
}

/** `f` with its output(s) reshaped to `[N, entries]` and concatenated. */
export function flattened(f: ParamFn): ParamFn {
  return (p, x) => {
    const y = f(p, x);
    const ys = Array.isArray(y) ? y : [y];
    return tf.concat(ys.map((t) => tf.reshape(t, [t.shape[0], -1])), 1);
  };
}

/** Loads `f` (and, for a model, its own weights) from a source. */
export async function loadSource(
  source: NtkSource,
): Promise<{ f: ParamFn; params: Record<string, tf.Tensor> | null; dispose(): void }> {
  if ("model" in source) {
    const model = await loadModel(source.model);
    const { f, params } = fromLayersModel(model, source.params ? { params: source.params } : {});
    return { f: source.flatten ? flattened(f) : f, params, dispose: () => model.dispose() };
  }
  const name = source.export ?? "f";
  const mod = await import(String(source.module));
  if (typeof mod[name] !== "function") {
    throw new InvalidOptionError("source.export", name, [`a function exported by ${source.module}`]);
  }
  return { f: mod[name] as ParamFn, params: null, dispose() {} };
}
