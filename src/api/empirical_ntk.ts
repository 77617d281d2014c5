/**
 * `empiricalNtkFn`: the finite-width NTK of any `f(params, x)` built from tfjs ops.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type BackendName, ensureBackend } from "../core/backend.ts";
import { GpuError, InvalidOptionError, MemoryBudgetError, ShapeMismatchError } from "../core/errors.ts";
import { checkPairedAxes, type Layout, normalizeLayout } from "../core/layout.ts";
import { assemble, checkExampleCounts, planBlocks, rowRole, sliceRows } from "../core/batching.ts";
import {
  estimate,
  measureThroughput,
  millis,
  PRICED,
  profileProgram,
  throughput,
  throughputMeasured,
} from "../ntk/cost.ts";
import { disposeProgram } from "../core/linear_program.ts";
import { setDerivedCacheBytes } from "../../rules/mod.ts";
import { inferExampleAxes } from "../ntk/example_axes.ts";
import { asList, checkArguments, checkFiniteArguments, checkNtkOptions, type Input } from "../core/validate.ts";
import { type Linearized, type ParamFn, traceLinear } from "../../adapters/trace.ts";
import { emptyProblemKernel, isEmptyProblem, rowsOf, traceInput } from "./inputs.ts";
import { Stats } from "../ntk/passes.ts";
import type { Method, MethodInput } from "../ntk/types.ts";
import { jacobianNtk } from "../ntk/jacobian.ts";
import { ntkvpNtk } from "../ntk/ntkvp.ts";
import { structuredNtk, type StructureReport } from "../ntk/structured.ts";
import type { Tensor } from "../core/types.ts";
import { flatCall, type TreeParamFn } from "../core/param_tree.ts";

/** The methods, by name. */
export const METHODS: Record<string, Method | null> = {
  jacobian: jacobianNtk,
  ntkvp: ntkvpNtk,
  structured: structuredNtk,
};

/** A method of computing the NTK (the paper's three, or "auto": the fastest by the cost model). */
export type NtkMethod = "auto" | "jacobian" | "ntkvp" | "structured";
/** Every method name `empiricalNtkFn` accepts. */
export const METHOD_NAMES: readonly NtkMethod[] = ["auto", "jacobian", "ntkvp", "structured"];

/** Options of `empiricalNtkFn`: method, output layout, backend and memory. */
export interface EmpiricalNtkOptions {
  /**
   * "jacobian" (Jacobian contraction), "ntkvp" (NTK-vector products), "structured" (structured
   * derivatives), or "auto": the fastest by a cost model of this program on this backend.
   * @default "auto"
   */
  method?: NtkMethod;
  /** Output axes contracted pairwise and averaged. @default [-1] */
  traceAxes?: number[];
  /** Output axes of which only the diagonal is kept. @default [] */
  diagonalAxes?: number[];
  /** Backend to run on; by default the one in use, or the fastest present. */
  backend?: BackendName | "auto";
  /**
   * Peak bytes the computation may hold; (x1, x2) are tiled into blocks of examples to stay
   * under it. @default 2 GiB (wasm's heap is 4 GiB)
   */
  memoryBudget?: number;
  /**
   * Largest single tensor in bytes. On WebGPU it defaults to the device's
   * maxStorageBufferBindingSize: larger buffers are silently wrong there. On wasm it defaults to
   * 512 MiB: tfjs-wasm views each tensor through one typed array of its heap, and that fails
   * for tensors of a gigabyte or more.
   */
  maxTensorBytes?: number;
  /** Examples per block (overrides the budget's choice). */
  blockSize?: number;
  /**
   * Compute only slab `i` of `n` of x1's examples (against all of x2): `[i, n]`. The slabs'
   * kernels concatenate along axis 0 into the full kernel — a way to split a large kernel over
   * machines.
   */
  block?: [i: number, n: number];
  /** Progress callback: the fraction of the kernel computed, in [0, 1]. */
  onProgress?: (fraction: number) => void;
}

/** What `.run()` reports beside the kernel. */
export interface NtkInfo {
  /** The method that computed the kernel (AUTO's choice when asked for "auto"). */
  method: Exclude<NtkMethod, "auto">;
  /** The tfjs backend it ran on. */
  backend: string;
  /** Whether the output's leading (example) axis was followed through every equation. */
  exampleAxis: {
    tracked: boolean;
    /**
     * Whether f's rows are independent examples (f of a few rows of x gives those rows of the
     * output). When not — f adds a `[N, …]` parameter to x, say — the kernel was computed on all
     * of x1 and x2 at once, without row slices or blocks, and `rows` is the leading size of f's
     * output.
     */
    independentRows: boolean;
    rows: number;
    /** Equations where rows got mixed, so the method carried an explicit row axis (exact, slower). */
    lost: { eqn: number; prim: string; source: string }[];
  };
  /** Floating-point operations counted over the whole computation. */
  flops: number;
  /**
   * Structured derivatives only: the parameters it structured, and those it left to Jacobian
   * contraction (dense fallback) with the reason.
   */
  structure?: StructureReport;
  /** Peak bytes of tensors alive during the computation, sampled after each step. */
  peakBytes: number;
  /** How (x1, x2) were tiled: examples per block and blocks computed. */
  blocks: { size: number; count: number };
  /** AUTO's estimate per method (milliseconds), when it chose. */
  estimates?: Record<string, number>;
  /** Jacobian contraction's final contractions: FLOPs and milliseconds. */
  contraction?: { flops: number; ms: number };
  /** Wall-clock milliseconds of the call. */
  ms: number;
}

/** What `.plan()` decides without computing the kernel. */
export interface NtkPlan {
  /** The method `run` would use. */
  method: Exclude<NtkMethod, "auto">;
  /** Estimated milliseconds per method at this backend's measured throughput. */
  estimates: Record<string, number>;
  /** Estimated FLOPs and peak bytes per method. */
  costs: Record<string, { flops: number; bytes: number }>;
  /** How (x1, x2) would be tiled: examples per block and blocks. */
  blocks: { size: number; count: number };
  /** f's output shape for one example (several outputs: their entries concatenated). */
  outputShape: number[];
  /** Whether examples are independent, so the kernel may be computed in blocks of examples. */
  splittable: boolean;
}

/**
 * The NTK function `empiricalNtkFn` returns: call it for the kernel, `.run` for the kernel and its
 * report. `params` is f's parameter tree `P`; `rest` are f's extra arguments `R`, passed to f as
 * they are (never differentiated).
 */
export interface EmpiricalNtk<P = Record<string, Tensor>, R extends unknown[] = []> {
  /** The NTK Θ(x1, x2) (x2 = null: x1) at `params`, f called as `f(params, x, ...rest)`. */
  (x1: Input, x2: Input | null, params: P, ...rest: R): Promise<Tensor>;
  /** The NTK and how it was computed. */
  run(x1: Input, x2: Input | null, params: P, ...rest: R): Promise<{ kernel: Tensor; info: NtkInfo }>;
  /** How `run` would compute the NTK (method, estimates, blocks), without computing it. */
  plan(x1: Input, x2: Input | null, params: P, ...rest: R): Promise<NtkPlan>;
  /** Marks this function as finished: it holds no tensors between calls, and cannot be called afterwards. */
  dispose(): void;
}

/**
 * The share of the memory budget that tensors rules derive once and reuse (im2col patches) may
 * hold; the methods' own estimates must fit in the rest.
 */
const DERIVED_CACHE_SHARE = 0.25;

/** The memory budget and single-tensor limit of the backend in use. */
function backendLimits(options: EmpiricalNtkOptions): { budget: number; maxTensor: number } {
  const budget = options.memoryBudget ?? 2 * 2 ** 30;
  // deno-lint-ignore no-explicit-any
  const device = tf.getBackend() === "webgpu" ? (tf.backend() as any).device : null;
  // tfjs-wasm maps each tensor as one Float32Array view of its heap (4 GiB at most, shared with
  // everything else alive): a 1.26 GB tensor failed with "Invalid typed array length" (the
  // CIFAR-like CNN at N=64 by NTK-vector products).
  const wasmCap = tf.getBackend() === "wasm" ? 2 ** 29 : Infinity;
  const binding = device?.limits?.maxStorageBufferBindingSize ?? wasmCap;
  return { budget, maxTensor: options.maxTensorBytes ?? binding };
}

/** Listens for WebGPU's uncaptured errors while a computation runs. */
function watchGpu(): { check(): void; stop(): void } {
  // deno-lint-ignore no-explicit-any
  const device = tf.getBackend() === "webgpu" ? (tf.backend() as any).device : null;
  if (!device?.addEventListener) return { check() {}, stop() {} };
  let error: string | null = null;
  // deno-lint-ignore no-explicit-any
  const onError = (ev: any) => void (error ??= ev?.error?.message ?? String(ev));
  device.addEventListener("uncapturederror", onError);
  return {
    check() {
      if (error) throw new GpuError(error);
    },
    stop() {
      device.removeEventListener("uncapturederror", onError);
    },
  };
}

/**
 * Returns a function computing the empirical NTK of `f`, in neural-tangents' layout: with the
 * default `traceAxes: [-1]`, `[N1, N2]`, the MEAN over the last output axis; with
 * `traceAxes: []`, `[N1, N2, O, O]`; higher-rank outputs zip their axes pairwise.
 *
 * Edge cases, as neural-tangents: no examples (N1 or N2 = 0), no parameter entries or no output
 * entries give the correctly shaped kernel without computing (empty, or zeros; a mean over empty
 * traced axes is NaN). A function whose rows are not independent examples (`x + b` with `b`
 * `[N, D]`) is computed on all of x1 and x2 at once; `info.exampleAxis.independentRows` says so.
 *
 * Parameters may be any tree of tensors — nested records and arrays, to any depth — and f gets
 * them in the caller's shape; the leaves are named by path (`encoder/blocks/0/kernel`) in
 * errors and `info`. Extra arguments after `params` (a mask, a `training` flag) are passed to f
 * as they are, the same for x1, x2 and every block of rows, and never differentiated: a tensor
 * among them is a constant (never disposed or changed). A tensor with one row per example is
 * not sliced with x's rows: f is then computed on all of x1 at once, as for any f whose rows
 * are not independent.
 *
 * @param f `f(params, x, ...rest)`: a function of a parameter tree, the input (leading axis:
 *   examples) and extra arguments
 * @param options method, layout and backend
 * @returns the NTK function `(x1, x2, params, ...rest)`, with `.run()`, `.plan()` and `.dispose()`
 * @throws {InvalidOptionError} for an unknown method or an option out of range (here), an axis
 *   out of range for f's output, or two parameter leaves with one path (from the returned function)
 * @throws {ShapeMismatchError} (from the returned function) for inputs or parameters that do not
 *   fit each other, the model, or f — naming the argument (a parameter by its path), with f's own
 *   error as `cause`
 * @throws {DTypeError} (from the returned function) for a parameter or input of a bad dtype
 * @throws {NonFiniteInputError} (from the returned function) for NaN or ±Infinity in one
 * @throws {MemoryBudgetError} (from the returned function) when not even one block fits the budget
 *
 * @example Usage
 * ```ts
 * // deno run --allow-read
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { empiricalNtkFn } from "@fast-ntk/fast-ntk";
 * const f = (p: Record<string, tf.Tensor>, x: tf.Tensor | tf.Tensor[]) =>
 *   tf.matMul(tf.relu(tf.matMul(x as tf.Tensor, p.w1)), p.w2);
 * const params = { w1: tf.randomNormal([3, 8]), w2: tf.randomNormal([8, 2]) };
 * const ntk = empiricalNtkFn(f, { traceAxes: [] });
 * const k = await ntk(tf.randomNormal([4, 3]), tf.randomNormal([5, 3]), params); // [4, 5, 2, 2]
 * assert.deepEqual(k.shape, [4, 5, 2, 2]);
 * ```
 *
 * @example A tree of parameters and extra arguments
 * ```ts
 * // deno run --allow-read
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { empiricalNtkFn } from "@fast-ntk/fast-ntk";
 * type Net = { blocks: { kernel: tf.Tensor }[]; head: tf.Tensor };
 * // mask: a constant [hidden] mask; training: a flag of f's own
 * const f = (p: Net, x: tf.Tensor | tf.Tensor[], mask: tf.Tensor, training: boolean) => {
 *   let h = x as tf.Tensor;
 *   for (const b of p.blocks) h = tf.tanh(tf.matMul(h, b.kernel));
 *   return tf.matMul(training ? tf.mul(h, mask) : h, p.head);
 * };
 * const params: Net = {
 *   blocks: [{ kernel: tf.randomNormal([3, 8]) }, { kernel: tf.randomNormal([8, 8]) }],
 *   head: tf.randomNormal([8, 2]),
 * };
 * const mask = tf.tensor1d([1, 0, 1, 0, 1, 0, 1, 0]);
 * const ntk = empiricalNtkFn(f, { method: "structured" });
 * const { kernel, info } = await ntk.run(tf.randomNormal([4, 3]), null, params, mask, true); // [4, 4]
 * assert.deepEqual(kernel.shape, [4, 4]);
 * // the parameters are named by their paths
 * assert.deepEqual(info.structure?.structured.toSorted(), ["blocks/0/kernel", "blocks/1/kernel", "head"]);
 * ```
 */
export function empiricalNtkFn<P extends object = Record<string, Tensor>, R extends unknown[] = []>(
  f: TreeParamFn<P, R>,
  options: EmpiricalNtkOptions = {},
): EmpiricalNtk<P, R> {
  const checked = checkSpec(f as unknown as ParamFn, options);
  let disposed = false;
  const run: EmpiricalNtk<P, R>["run"] = async (x1, x2, tree, ...rest) => {
    if (disposed) throw new Error("This NTK function was disposed");
    const { flat, fn } = flatCall(f, tree, rest);
    return await runNtk({ ...checked, f: fn as ParamFn }, x1, x2, flat);
  };
  const plan: EmpiricalNtk<P, R>["plan"] = async (x1, x2, tree, ...rest) => {
    const { flat: params, fn } = flatCall(f, tree, rest);
    const spec = { ...checked, f: fn as ParamFn };
    await ensureBackend(options.backend);
    checkArguments(x1, x2, params, fn);
    const slices: tf.Tensor[] = [];
    try {
      const d = await decide(spec, x1, x2, params, (x) => (slices.push(...asList(x)), x), true);
      return {
        method: d.chosen,
        estimates: d.estimates!,
        costs: Object.fromEntries(PRICED.map((m) => [m, { flops: d.costs[m].flops, bytes: d.costs[m].bytes }])),
        blocks: { size: d.size, count: d.blocks.length },
        outputShape: d.outShape.slice(1),
        splittable: d.splittable,
      };
    } finally {
      tf.dispose(slices);
    }
  };
  const ntk = (async (x1, x2, params, ...rest) => (await run(x1, x2, params, ...rest)).kernel) as EmpiricalNtk<P, R>;
  ntk.run = run;
  ntk.plan = plan;
  ntk.dispose = () => void (disposed = true);
  return ntk;
}

/** `f` and its options, checked and with their defaults. */
interface NtkSpec {
  f: ParamFn;
  options: EmpiricalNtkOptions;
  method: NtkMethod;
  traceAxes: number[];
  diagonalAxes: number[];
}

/** Option normalisation: a function, known options, a known method; the defaults filled in. */
function checkSpec(f: ParamFn, options: EmpiricalNtkOptions): NtkSpec {
  if (typeof f !== "function") throw new InvalidOptionError("f", typeof f, ["a function f(params, x)"]);
  checkNtkOptions(options);
  const method = options.method ?? "auto";
  if (!METHOD_NAMES.includes(method)) throw new InvalidOptionError("method", method, METHOD_NAMES);
  return { f, options, method, traceAxes: options.traceAxes ?? [-1], diagonalAxes: options.diagonalAxes ?? [] };
}

/** A call at least this long pays for measuring this machine's speed (≤ 0.4 s) unnoticed. */
const REFINE_AFTER_MS = 10_000;

/** One call: check, decide, compute (under the WebGPU error watch), report. */
async function runNtk(
  spec: NtkSpec,
  x1: Input,
  x2: Input | null,
  params: Record<string, tf.Tensor>,
): Promise<{ kernel: Tensor; info: NtkInfo }> {
  const t0 = performance.now();
  const backend = await ensureBackend(spec.options.backend);
  checkArguments(x1, x2, params, spec.f);
  await checkFiniteArguments(x1, x2, params);
  const slices: tf.Tensor[] = [];
  const owned = (x: Input) => (slices.push(...asList(x)), x);
  const gpu = watchGpu();
  let x1Lin: Linearized | null = null; // the probe's trace of all of x1, reused by a single block
  const stats = new Stats(); // before the probe: its trace of x1 may be the one computed with
  try {
    const d = await decide(spec, x1, x2, params, owned, false, (lin) => (x1Lin = lin));
    const job: BlockJob = {
      params,
      layout: d.layout,
      chosen: d.chosen,
      stats,
      report: {},
      budget: d.budget,
      maxTensor: d.maxTensor,
      given: [x1, x2],
    };
    const { kernel, lost } = computeKernel(spec, d, job, owned, slices, gpu, x1Lin);
    gpu.check();
    // AUTO priced this call with a shipped or cached speed; after a long call, measuring this
    // machine's (≤ 0.4 s) costs a few percent and is kept for later calls and processes.
    const info = ntkInfo(d, job, lost, backend, performance.now() - t0);
    if (info.ms > REFINE_AFTER_MS && !throughputMeasured()) await measureThroughput().catch(() => {});
    return { kernel, info };
  } finally {
    gpu.stop();
    tf.dispose(slices);
    disposeLinearized(x1Lin);
  }
}

function disposeLinearized(lin: Linearized | null): void {
  if (!lin) return;
  disposeProgram(lin.program);
  lin.output.dispose();
}

/** What `info` reports of a finished call. */
function ntkInfo(
  d: Decision,
  job: BlockJob,
  lost: NtkInfo["exampleAxis"]["lost"],
  backend: string,
  ms: number,
): NtkInfo {
  const { stats, report } = job;
  return {
    method: d.chosen,
    backend,
    exampleAxis: { tracked: lost.length === 0, independentRows: d.independentRows, rows: d.n1, lost },
    flops: stats.flops,
    ...(report.structure ? { structure: report.structure as StructureReport } : {}),
    peakBytes: stats.peakBytes,
    blocks: { size: d.size, count: d.blocks.length },
    ...(d.estimates ? { estimates: d.estimates } : {}),
    ...(stats.contraction.flops ? { contraction: { ...stats.contraction } } : {}),
    ms,
  };
}

/** The kernel of the decided problem: empty, one block, or blocks tiled and assembled. */
function computeKernel(
  spec: NtkSpec,
  d: Decision,
  job: BlockJob,
  owned: (x: Input) => Input,
  slices: tf.Tensor[],
  gpu: { check(): void },
  x1Lin: Linearized | null,
): { kernel: tf.Tensor; lost: NtkInfo["exampleAxis"]["lost"] } {
  const progress = spec.options.onProgress;
  if (d.empty) {
    progress?.(1);
    return { kernel: emptyProblemKernel(d.layout, d.s1, d.s2), lost: [] };
  }
  if (d.blocks.length === 1) return computeBlock(spec.f, d.a, d.b, job, progress, d.a === job.given[0] ? x1Lin : null);
  const done = new Map<string, tf.Tensor>();
  const lost: NtkInfo["exampleAxis"]["lost"] = [];
  try {
    for (const [k, blk] of d.blocks.entries()) {
      const xa = owned(sliceRows(d.a, blk.r1[0], blk.r1[1]));
      const sameRows = d.b === null && blk.i === blk.j;
      const xb = sameRows ? null : owned(sliceRows(d.b ?? d.a, blk.r2[0], blk.r2[1]));
      const step = (frac: number) => progress?.((k + frac) / d.blocks.length);
      const r = computeBlock(spec.f, xa, xb, job, step);
      done.set(`${blk.i},${blk.j}`, r.kernel);
      if (k === 0) lost.push(...r.lost);
      tf.dispose(slices.splice(-asList(xa).length - (xb ? asList(xb).length : 0)));
      gpu.check();
    }
  } catch (e) {
    done.forEach((t) => t.dispose());
    throw e;
  }
  return { kernel: assemble(done, d.n1, d.n2, d.size, d.layout, d.role), lost };
}

/** What every block of one call shares. */
interface BlockJob {
  params: Record<string, tf.Tensor>;
  layout: Layout;
  chosen: Exclude<NtkMethod, "auto">;
  stats: Stats;
  report: Record<string, unknown>;
  budget: number;
  maxTensor: number;
  /** The user's own x1 and x2, for errors that name them. */
  given: [Input, Input | null];
}

/** One kernel block by one method: linearize both sides, run the method. */
function computeBlock(
  f: ParamFn,
  x1: Input,
  x2: Input | null,
  job: BlockJob,
  progress: ((fraction: number) => void) | undefined,
  x1Lin: Linearized | null = null,
): { kernel: tf.Tensor; lost: NtkInfo["exampleAxis"]["lost"] } {
  const { params, layout, given } = job;
  const lin: Linearized[] = [];
  const made: Linearized[] = []; // disposed here; x1Lin is the caller's
  const trace = (x: Input, side: "x1" | "x2", user: Input) => {
    made.push(traceInput(f, params, x, side, user));
    return made[made.length - 1];
  };
  try {
    // (Errors name the user's argument and shape, also when x1 is a block of its rows.)
    lin.push(x1Lin ?? trace(x1, "x1", given[0]));
    if (x2) lin.push(trace(x2, "x2", given[1] ?? given[0]));
    const [s1, s2] = [lin[0].output.shape, lin[lin.length - 1].output.shape];
    if (s2.length !== s1.length) {
      throw new ShapeMismatchError("f's output at x2", s2, `rank differs from x1's [${s1}]`);
    }
    checkPairedAxes(layout, s1, s2);
    const input: MethodInput = {
      p1: lin[0].program,
      p2: x2 ? lin[1].program : null,
      layout,
      stats: job.stats,
      memoryBudget: job.budget,
      maxTensorBytes: job.maxTensor,
      progress,
      report: job.report,
    };
    const kernel = METHODS[job.chosen]!(input);
    return { kernel, lost: lin.flatMap((l) => inferExampleAxes(l.program).lost) };
  } finally {
    made.forEach(disposeLinearized);
  }
}

/**
 * Linearizes a sample of x1 to learn f's output shape and the program's sizes: two examples
 * when f's rows are independent examples, else all of x1 (the sample's output must follow its
 * rows; a failure on the two rows only says they are not independent). With no examples, a row
 * of zeros stands in for the shape.
 */
function sample(
  f: ParamFn,
  x1: Input,
  params: Record<string, tf.Tensor>,
  owned: (x: Input) => Input,
  keep?: (lin: Linearized) => void,
) {
  const take = (lin: Linearized) => {
    const r = { outShape: lin.output.shape, profile: profileProgram(lin.program) };
    disposeProgram(lin.program);
    lin.output.dispose();
    return r;
  };
  const tryTrace = (x: Input) => {
    try {
      return take(traceLinear(f, params, x));
    } catch {
      return null; // judged on the user's own x1 below
    }
  };
  const rows = rowsOf(x1);
  if (rows > 2) {
    const r = tryTrace(owned(sliceRows(x1, 0, 2)));
    if (r && r.outShape[0] === 2) return { ...r, independentRows: true };
  } else if (rows === 0) {
    const own = tryTrace(x1);
    if (own) return { ...own, independentRows: own.outShape[0] === 0 };
    const one = tryTrace(owned(zeroRow(x1)));
    if (one?.outShape[0] === 1) return { ...one, outShape: [0, ...one.outShape.slice(1)], independentRows: true };
  }
  // All of x1: the computation's own linearization of x1 when the caller keeps it (one trace, not two).
  const whole = traceInput(f, params, x1, "x1");
  keep?.(whole);
  const r = keep ? { outShape: whole.output.shape, profile: profileProgram(whole.program) } : take(whole);
  return { ...r, independentRows: rows > 2 ? false : r.outShape[0] === rows };
}

type Sample = ReturnType<typeof sample>;

/** Everything decided before computing (see `decide`). */
type Decision = Awaited<ReturnType<typeof decide>>;

/**
 * Everything decided before computing: the layout, the problem (all of x1 against x2, or a
 * slab), the method (AUTO: by the cost model of a two-example probe), and the block size.
 */
async function decide(
  spec: NtkSpec,
  x1: Input,
  x2: Input | null,
  params: Record<string, tf.Tensor>,
  owned: (x: Input) => Input,
  priceAll: boolean,
  keep?: (lin: Linearized) => void,
) {
  const { budget, maxTensor } = backendLimits(spec.options);
  setDerivedCacheBytes(budget * DERIVED_CACHE_SHARE);
  const probe = sample(spec.f, x1, params, owned, keep);
  const problem = chooseProblem(spec, probe, x1, x2, params, owned);
  const { outShape, profile, independentRows } = probe;
  const { layout, n1, n2 } = problem;
  const speed = spec.method === "auto" || priceAll ? await throughput() : null;
  const costs = estimate(profile, n1, n2, layout, outShape, budget, maxTensor);
  const estimates = speed ? Object.fromEntries(PRICED.map((m) => [m, millis(costs[m], speed)])) : undefined;
  const chosen: Exclude<NtkMethod, "auto"> = spec.method === "auto" && estimates
    ? PRICED.reduce((best, m) => (estimates[m] < estimates[best] ? m : best), PRICED[0])
    : spec.method as Exclude<NtkMethod, "auto">;
  const size = chooseBlockSize(spec, probe, problem, chosen, budget, maxTensor);
  const blocks = problem.empty ? [] : planBlocks(n1, n2, size, problem.role, problem.b === null);
  const splittable = profile.tracked && independentRows;
  return {
    ...problem,
    independentRows,
    chosen,
    estimates,
    costs,
    size,
    blocks,
    budget,
    maxTensor,
    outShape,
    splittable,
  };
}

/**
 * The problem: the layout, all of x1 against x2 (or one slab of x1), and the kernel's row
 * counts and output shapes (f's own output rows when its rows are not examples).
 */
function chooseProblem(
  spec: NtkSpec,
  probe: Sample,
  x1: Input,
  x2: Input | null,
  params: Record<string, tf.Tensor>,
  owned: (x: Input) => Input,
) {
  const { outShape, independentRows } = probe;
  if (outShape.length < 1) throw new ShapeMismatchError("f's output", outShape, "expected a leading example axis");
  const layout = normalizeLayout(outShape.length, spec.traceAxes, spec.diagonalAxes);
  const role = rowRole(layout);
  let [a, b] = [x1, x2];
  const block = spec.options.block;
  if (block) {
    if (role === "traced") throw new InvalidOptionError("block", block, ["a layout that keeps the example axis"]);
    if (!independentRows) {
      throw new InvalidOptionError("block", block, ["none: f's rows are not independent examples"]);
    }
    const [i, n] = block, rows = rowsOf(x1);
    const [from, to] = [Math.floor((i * rows) / n), Math.floor(((i + 1) * rows) / n)];
    a = owned(sliceRows(x1, from, to));
    b = role === "diagonal" ? owned(sliceRows(x2 ?? x1, from, to)) : x2 ?? x1;
  }
  // ExampleRows that are not examples: the kernel's rows are f's output rows, x2's learned by tracing it.
  let out2 = outShape;
  if (!independentRows && x2) {
    const lin = traceInput(spec.f, params, x2, "x2");
    out2 = lin.output.shape;
    disposeProgram(lin.program);
    lin.output.dispose();
  }
  const [n1, n2] = independentRows ? [rowsOf(a), b ? rowsOf(b) : rowsOf(a)] : [outShape[0], out2[0]];
  const s1 = [n1, ...outShape.slice(1)], s2 = [n2, ...out2.slice(1)];
  checkExampleCounts(role, n1, n2);
  checkPairedAxes(layout, s1, s2);
  return { layout, role, a, b, n1, n2, s1, s2, empty: isEmptyProblem(params, s1, s2) };
}

/**
 * Examples per block: as many as fit the budget (all of them when the rows interact, or are
 * not examples: one block, if it fits; else MemoryBudgetError).
 */
function chooseBlockSize(
  spec: NtkSpec,
  probe: Sample,
  problem: ReturnType<typeof chooseProblem>,
  chosen: Exclude<NtkMethod, "auto">,
  budget: number,
  maxTensor: number,
): number {
  const { profile, outShape, independentRows } = probe;
  const { n1, n2, layout } = problem;
  const cost = (k1: number, k2: number) => estimate(profile, k1, k2, layout, outShape, budget, maxTensor)[chosen];
  const fits = (k: number) => {
    const e = cost(Math.min(k, n1), Math.min(k, n2));
    return e.bytes + budget * DERIVED_CACHE_SHARE <= budget && e.largest <= maxTensor;
  };
  const refuse = (k1: number, k2: number, what: string) => {
    const e = cost(k1, k2);
    return new MemoryBudgetError(Math.max(e.bytes, e.largest), e.bytes > budget ? budget : maxTensor, what);
  };
  const all = Math.max(n1, n2);
  if (problem.empty) return Math.max(all, 1);
  if (!profile.tracked || !independentRows) {
    const why = independentRows ? "rows interact in f" : "f's rows are not independent examples";
    if (!fits(all)) throw refuse(n1, n2, `all of x1 and x2 at once (${why}) with method "${chosen}"`);
    return all;
  }
  if (spec.options.blockSize) return Math.max(1, Math.min(all, spec.options.blockSize));
  if (fits(all)) return all;
  if (!fits(1)) throw refuse(1, 1, `one example with method "${chosen}"`);
  let lo = 1;
  while (lo < all && fits(lo * 2)) lo *= 2;
  return lo;
}

/** One row of zeros shaped like a row of `x` (standing in for an empty batch's shape). */
function zeroRow(x: Input): Input {
  const one = (t: tf.Tensor) => tf.zeros([1, ...t.shape.slice(1)], t.dtype);
  return Array.isArray(x) ? x.map(one) : one(x);
}
