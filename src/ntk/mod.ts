/**
 * `empiricalNtkFn`: the finite-width NTK of any `f(params, x)` built from tfjs ops.
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { type BackendName, ensureBackend } from "../backend.ts";
import { InvalidOptionError, MethodUnavailableError, ShapeMismatchError } from "../errors.ts";
import { checkPairedAxes, normalizeLayout } from "../layout.ts";
import { disposeProgram, inferRows } from "../linear_program.ts";
import { asList, checkArguments, checkFinite, type Input } from "../validate.ts";
import { linearize, type Linearized, type ParamFn } from "../../adapters/trace.ts";
import { Stats } from "./_passes.ts";
import type { Method, MethodInput } from "./_types.ts";
import { chooseMethod } from "./auto.ts";
import { jacobianNtk } from "./jacobian.ts";
import { ntkvpNtk } from "./ntkvp.ts";
import { structuredNtk, type StructureReport } from "./structured.ts";

/** The methods, by name. */
export const METHODS: Record<string, Method | null> = {
  jacobian: jacobianNtk,
  ntkvp: ntkvpNtk,
  structured: structuredNtk,
};

export type NtkMethod = "auto" | "jacobian" | "ntkvp" | "structured";
export const METHOD_NAMES: readonly NtkMethod[] = ["auto", "jacobian", "ntkvp", "structured"];

export interface EmpiricalNtkOptions {
  /** "jacobian" (Jacobian contraction), "ntkvp" (NTK-vector products), or "auto". @default "auto" */
  method?: NtkMethod;
  /** Output axes contracted pairwise and averaged. @default [-1] */
  traceAxes?: number[];
  /** Output axes of which only the diagonal is kept. @default [] */
  diagonalAxes?: number[];
  /** Backend to run on; by default the one in use, or the fastest present. */
  backend?: BackendName | "auto";
  /** Upper bound in bytes for what a method builds at once (NTK-VP's basis chunks). @default 512 MiB */
  memoryBudget?: number;
  /** Progress callback: the fraction of the kernel computed, in [0, 1]. */
  onProgress?: (fraction: number) => void;
}

/** What `.run()` reports beside the kernel. */
export interface NtkInfo {
  method: Exclude<NtkMethod, "auto">;
  backend: string;
  /** Whether the output's leading (example) axis was followed through every equation. */
  exampleAxis: {
    tracked: boolean;
    rows: number;
    /** Equations where rows got mixed, so the method carried an explicit row axis (exact, slower). */
    lost: { eqn: number; prim: string; source: string }[];
  };
  flops: number;
  /**
   * Structured derivatives only: the parameters it structured, and those it left to Jacobian
   * contraction (dense fallback) with the reason.
   */
  structure?: StructureReport;
  /** Peak bytes of tensors alive during the computation, sampled after each step. */
  peakBytes: number;
  ms: number;
}

export interface EmpiricalNtk {
  /** The NTK Θ(x1, x2) (x2 = null: x1) at `params`. */
  (x1: Input, x2: Input | null, params: Record<string, tf.Tensor>): Promise<tf.Tensor>;
  /** The NTK and how it was computed. */
  run(x1: Input, x2: Input | null, params: Record<string, tf.Tensor>): Promise<{ kernel: tf.Tensor; info: NtkInfo }>;
  /** Frees what this function caches; it cannot be called afterwards. */
  dispose(): void;
}

/**
 * Returns a function computing the empirical NTK of `f`, in neural-tangents' layout: with the
 * default `traceAxes: [-1]`, `[N1, N2]`, the MEAN over the last output axis; with
 * `traceAxes: []`, `[N1, N2, O, O]`; higher-rank outputs zip their axes pairwise.
 *
 * @param f a function of named parameters and the input (leading axis: examples)
 * @param options method, layout and backend
 * @returns the NTK function, with `.run()` and `.dispose()`
 * @throws {InvalidOptionError} for an unknown method or a bad axis
 *
 * @example Usage
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { empiricalNtkFn } from "./mod.ts";
 * const f = (p: Record<string, tf.Tensor>, x: tf.Tensor | tf.Tensor[]) => tf.matMul(tf.relu(tf.matMul(x as tf.Tensor, p.w1)), p.w2);
 * const params = { w1: tf.randomNormal([3, 8]), w2: tf.randomNormal([8, 2]) };
 * const ntk = empiricalNtkFn(f, { traceAxes: [] });
 * const k = await ntk(tf.randomNormal([4, 3]), tf.randomNormal([5, 3]), params); // [4, 5, 2, 2]
 * ```
 */
export function empiricalNtkFn(f: ParamFn, options: EmpiricalNtkOptions = {}): EmpiricalNtk {
  const method = options.method ?? "auto";
  if (!METHOD_NAMES.includes(method)) throw new InvalidOptionError("method", method, METHOD_NAMES);
  const traceAxes = options.traceAxes ?? [-1];
  const diagonalAxes = options.diagonalAxes ?? [];
  const memoryBudget = options.memoryBudget ?? 512 * 2 ** 20;
  let disposed = false;

  const run: EmpiricalNtk["run"] = async (x1, x2, params) => {
    if (disposed) throw new Error("This NTK function was disposed");
    const t0 = performance.now();
    const backend = await ensureBackend(options.backend);
    checkArguments(x1, x2, params);
    await checkFinite([
      ...Object.entries(params).map(([n, t]) => [`params["${n}"]`, t] as [string, tf.Tensor]),
      ...asList(x1).map((t, i, l) => [l.length > 1 ? `x1[${i}]` : "x1", t] as [string, tf.Tensor]),
      ...(x2 ? asList(x2).map((t, i, l) => [l.length > 1 ? `x2[${i}]` : "x2", t] as [string, tf.Tensor]) : []),
    ]);
    const lin: Linearized[] = [];
    try {
      lin.push(linearize(f, params, x1));
      if (x2) lin.push(linearize(f, params, x2));
      const [s1, s2] = [lin[0].output.shape, lin[lin.length - 1].output.shape];
      if (s1.length < 1) throw new ShapeMismatchError("f's output", s1, "expected a leading example axis");
      if (s2.length !== s1.length) {
        throw new ShapeMismatchError("f's output at x2", s2, `rank differs from x1's [${s1}]`);
      }
      const layout = normalizeLayout(s1.length, traceAxes, diagonalAxes);
      checkPairedAxes(layout, s1, s2);
      const input: MethodInput = {
        p1: lin[0].program,
        p2: x2 ? lin[1].program : null,
        layout,
        stats: new Stats(),
        memoryBudget,
        progress: options.onProgress,
        report: {},
      };
      const chosen = method === "auto" ? chooseMethod(input) : method;
      const impl = METHODS[chosen];
      if (!impl) throw new MethodUnavailableError(chosen, 'not implemented yet; use "jacobian" or "ntkvp"');
      const kernel = impl(input);
      const lost = lin.flatMap((l) => inferRows(l.program).lost);
      return {
        kernel,
        info: {
          method: chosen,
          backend,
          exampleAxis: { tracked: lost.length === 0, rows: s1[0], lost },
          flops: input.stats.flops,
          ...(input.report.structure ? { structure: input.report.structure as StructureReport } : {}),
          peakBytes: input.stats.peakBytes,
          ms: performance.now() - t0,
        },
      };
    } finally {
      for (const l of lin) {
        disposeProgram(l.program);
        l.output.dispose();
      }
    }
  };
  const fn = (async (x1, x2, params) => (await run(x1, x2, params)).kernel) as EmpiricalNtk;
  fn.run = run;
  fn.dispose = () => void (disposed = true);
  return fn;
}
