/**
 * `empiricalNtkParallelFn`: the NTK computed in blocks of examples by a pool of Deno Workers,
 * one per core, each with its own tfjs engine — tfjs-wasm runs on a single thread in Deno, so
 * this is how a kernel uses the whole CPU.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type BackendName, ensureBackend } from "../core/backend.ts";
import { InvalidOptionError } from "../core/errors.ts";
import { type Layout, normalizeLayout } from "../core/layout.ts";
import {
  assemble,
  type Block,
  checkExampleCounts,
  planBlocks,
  type RowRole,
  rowRole,
  sliceRows,
} from "../core/batching.ts";
import { asList, checkArguments, checkFiniteArguments, checkNtkOptions, type Input } from "../core/validate.ts";
import {
  empiricalNtkFn,
  type EmpiricalNtkOptions,
  METHOD_NAMES,
  type NtkMethod,
  type NtkPlan,
} from "../api/empirical_ntk.ts";
import { absoluteSource, type FromWorker, loadSource, type NtkSource, type ToWorker } from "./protocol.ts";
import { buffers, copyWire, toWire, toWireCall, type WireTensor } from "./wire.ts";
import { bindParams, flatParamsOf } from "../core/param_tree.ts";
import type { Tensor } from "../core/types.ts";

export type { NtkSource } from "./protocol.ts";

/** Options of `empiricalNtkParallelFn`: those of `empiricalNtkFn` (but blocks), and the workers. */
export interface ParallelNtkOptions extends Omit<EmpiricalNtkOptions, "block" | "blockSize"> {
  /**
   * Workers to run. On WebGPU one process already has the whole GPU, so the default there is
   * 1 (computed in this thread, no workers). @default navigator.hardwareConcurrency (CPU backends)
   */
  workers?: number;
  /**
   * How the work is divided: "params" — each worker computes the whole kernel for its share of
   * the parameters (Θ is a sum over parameters; no per-parameter work is repeated), "examples" —
   * blocks of examples, "auto" — by parameters when they divide evenly enough, else by examples;
   * in this process for structured derivatives (measured: workers only repeat its passes).
   * @default "auto"
   */
  split?: "auto" | "params" | "examples";
}

/** What `.run()` reports beside the kernel. */
export interface ParallelNtkInfo {
  /** The method that computed the kernel. */
  method: Exclude<NtkMethod, "auto">;
  /** The tfjs backend the workers ran on. */
  backend: BackendName;
  /** Workers used (1: computed in this thread). */
  workers: number;
  /** How the work was divided (see `ParallelNtkOptions.split`). */
  split: "params" | "examples" | "none";
  /** Examples per block and blocks computed. */
  blocks: { size: number; count: number };
  /** FLOPs of all blocks together. */
  flops: number;
  /** Milliseconds each worker spent computing blocks (the rest of `ms` is start-up and transfers). */
  busyMs: number[];
  /** Wall-clock milliseconds of the call. */
  ms: number;
}

/**
 * The NTK function `empiricalNtkParallelFn` returns. `params` is f's parameter tree `P`; `rest`
 * are f's extra arguments `R` (sent to each worker: tensors, and values a structured clone copies).
 */
export interface ParallelNtk<P = Record<string, Tensor>, R extends unknown[] = []> {
  /** The NTK Θ(x1, x2) (x2 = null: x1) at `params` (default: a model source's own weights). */
  (x1: Input, x2: Input | null, params?: P, ...rest: R): Promise<Tensor>;
  /** The NTK and how it was computed. */
  run(
    x1: Input,
    x2: Input | null,
    params?: P,
    ...rest: R
  ): Promise<{ kernel: Tensor; info: ParallelNtkInfo }>;
  /** Stops the workers and frees the loaded model. */
  dispose(): void;
}

interface PoolWorker {
  worker: Worker;
  /** Resolves with the worker's next reply. */
  next(): Promise<FromWorker>;
}

function spawn(): PoolWorker {
  const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
  const inbox: FromWorker[] = [];
  const waiting: ((m: FromWorker) => void)[] = [];
  const deliver = (m: FromWorker) => {
    const w = waiting.shift();
    if (w) w(m);
    else inbox.push(m);
  };
  worker.onmessage = (e: MessageEvent<FromWorker>) => deliver(e.data);
  worker.onerror = (e: ErrorEvent) => {
    e.preventDefault();
    deliver({ type: "error", id: -1, name: "WorkerError", message: e.message });
  };
  return {
    worker,
    next: () => (inbox.length ? Promise.resolve(inbox.shift()!) : new Promise((r) => waiting.push(r))),
  };
}

function rebuildError(m: { name: string; message: string }): Error {
  const e = new Error(m.message);
  e.name = m.name;
  return e;
}

/**
 * The parameters dealt to `workers` bins by size, largest first (sizes stand for per-parameter
 * cost). Null when fewer than two bins result or, unless `force`, the largest bin exceeds 1.5×
 * an even share.
 */
export function shareParams(params: Record<string, Tensor>, workers: number, force: boolean): string[][] | null {
  const names = Object.keys(params).sort((a, b) => params[b].size - params[a].size);
  const bins = Array.from({ length: Math.min(workers, names.length) }, () => ({ names: [] as string[], size: 0 }));
  if (bins.length < 2) return null;
  for (const n of names) {
    const lightest = bins.reduce((a, b) => (b.size < a.size ? b : a));
    lightest.names.push(n);
    lightest.size += params[n].size;
  }
  const total = bins.reduce((a, b) => a + b.size, 0);
  const heaviest = Math.max(...bins.map((b) => b.size));
  return force || heaviest <= (1.5 * total) / bins.length ? bins.map((b) => b.names) : null;
}

/**
 * Blocks per side so that the pool has whole rounds of work: the fewest blocks per side whose
 * block count is a multiple of the worker count (more blocks mean more re-linearization).
 */
function blocksPerSide(n: number, workers: number, role: RowRole, symmetric: boolean): number {
  const count = (k: number) => role !== "free" ? k : symmetric ? (k * (k + 1)) / 2 : k * k;
  for (let k = 1; k <= n; k++) if (count(k) >= workers && count(k) % workers === 0) return k;
  return n;
}

/** Option normalisation: `empiricalNtkFn`'s checks plus the method, `workers` and `split`. */
function checkParallelOptions(options: ParallelNtkOptions): void {
  checkNtkOptions(options);
  if (options.method !== undefined && !METHOD_NAMES.includes(options.method)) {
    throw new InvalidOptionError("method", options.method, METHOD_NAMES);
  }
  if (options.workers !== undefined && !(Number.isInteger(options.workers) && options.workers >= 1)) {
    throw new InvalidOptionError("workers", options.workers, ["a positive integer"]);
  }
  if (options.split !== undefined && !["auto", "params", "examples"].includes(options.split)) {
    throw new InvalidOptionError("split", options.split, ["auto", "params", "examples"]);
  }
}

/** The workers of one NTK function: started on demand, restarted when the backend changes. */
class WorkerPool {
  workers: PoolWorker[] = [];
  private backend: BackendName | null = null;

  constructor(private readonly where: NtkSource, private readonly options: ParallelNtkOptions) {}

  /** At least `n` workers on `backend`, each having loaded the source. */
  async start(n: number, backend: BackendName): Promise<void> {
    if (this.workers.length >= n && this.backend === backend) return;
    this.stop();
    this.workers = Array.from({ length: n }, spawn);
    this.backend = backend;
    const { traceAxes, diagonalAxes, memoryBudget, maxTensorBytes } = this.options;
    const init: ToWorker = {
      type: "init",
      source: this.where,
      backend,
      options: { traceAxes, diagonalAxes, memoryBudget, maxTensorBytes },
    };
    this.workers.forEach((p) => p.worker.postMessage(init));
    const replies = await Promise.all(this.workers.map((p) => p.next()));
    const bad = replies.find((r) => r.type === "error");
    if (bad) {
      this.stop();
      throw rebuildError(bad as { name: string; message: string });
    }
  }

  stop(): void {
    this.workers.forEach((p) => p.worker.terminate());
    this.workers = [];
    this.backend = null;
  }
}

/** How one call's work is divided: shares of the parameters, or blocks of examples. */
interface WorkPlan {
  method: Exclude<NtkMethod, "auto">;
  n1: number;
  n2: number;
  layout: Layout;
  role: RowRole;
  symmetric: boolean;
  /** Parameter names per worker, or null: blocks of examples. */
  shares: string[][] | null;
  /** Examples per block (the whole side when split by parameters). */
  size: number;
  blocks: Block[];
  /** Workers used. */
  used: number;
}

/**
 * Divides the work of a call that leaves this thread: by parameters (each worker the whole kernel
 * of its share; Θ is a sum over parameters, so no example is linearized twice for the
 * per-parameter work that dominates at large widths) or in blocks of examples.
 */
function divideWork(
  plan: NtkPlan,
  n: { n1: number; n2: number },
  symmetric: boolean,
  shares: string[][] | null,
  workers: number,
  options: ParallelNtkOptions,
): WorkPlan {
  const { n1, n2 } = n;
  const layout = normalizeLayout(plan.outputShape.length + 1, options.traceAxes ?? [-1], options.diagonalAxes ?? []);
  const role = rowRole(layout);
  checkExampleCounts(role, n1, n2);
  const common = { method: plan.method, n1, n2, layout, role, symmetric, shares };
  if (shares) return { ...common, size: Math.max(n1, n2), blocks: [], used: shares.length };
  const k = blocksPerSide(Math.max(n1, n2), workers, role, symmetric);
  const size = Math.min(plan.blocks.size, Math.ceil(Math.max(n1, n2) / k));
  const blocks = planBlocks(n1, n2, size, role, symmetric);
  return { ...common, size, blocks, used: Math.min(workers, blocks.length) };
}

/** Sends each used worker its own copy of the parameters (once per call, before its work). */
function sendParams(pool: PoolWorker[], wire: Awaited<ReturnType<typeof toWireCall>>, work: WorkPlan): void {
  const { params, call } = wire;
  pool.slice(0, work.used).forEach((p, w) => {
    const copy = copyWire(params);
    const msg: ToWorker = {
      type: "params",
      params: copy,
      method: work.method, // decided here for this call: AUTO may choose differently next time
      ...call,
      ...(work.shares ? { own: work.shares[w] } : {}),
    };
    p.worker.postMessage(msg, buffers(Object.values(copy)));
  });
}

/** Rows [r0, r1) of every input, as wire tensors. */
async function wireRows(x: Input, r: [number, number]): Promise<WireTensor[]> {
  const part = sliceRows(x, r[0], r[1]);
  try {
    return await Promise.all(asList(part).map(toWire));
  } finally {
    tf.dispose(asList(part));
  }
}

/** What the workers computed: kernels by share or block key, their FLOPs and busy time. */
interface WorkDone {
  done: Map<string, tf.Tensor>;
  flops: number;
  busyMs: number[];
  failure: Error | null;
}

/** Drives the used workers through the shares or the queue of blocks until done or one fails. */
async function driveWorkers(
  pool: PoolWorker[],
  work: WorkPlan,
  x1: Input,
  x2: Input | null,
  onProgress: ((fraction: number) => void) | undefined,
): Promise<WorkDone> {
  const out: WorkDone = { done: new Map(), flops: 0, busyMs: new Array(work.used).fill(0), failure: null };
  let finished = 0;
  const total = work.shares ? work.used : work.blocks.length;
  /** Sends one piece of work and files its kernel under `key`; false when the worker failed. */
  const compute = async (p: PoolWorker, w: number, key: string, xa: WireTensor[], xb: WireTensor[] | null) => {
    p.worker.postMessage(
      { type: "block", id: finished, x1: xa, x2: xb } satisfies ToWorker,
      buffers([...xa, ...(xb ?? [])]),
    );
    const reply = await p.next();
    if (reply.type === "error") {
      out.failure ??= rebuildError(reply);
      return false;
    }
    if (reply.type === "done") {
      out.done.set(key, tf.tensor(reply.data, reply.shape));
      out.flops += reply.flops;
      out.busyMs[w] += reply.ms;
      onProgress?.(++finished / total);
    }
    return true;
  };
  const queue = [...work.blocks];
  const drive = async (p: PoolWorker, w: number) => {
    if (work.shares) {
      const all = (x: Input) => wireRows(x, [0, asList(x)[0].shape[0]]);
      await compute(p, w, `share ${w}`, await all(x1), x2 ? await all(x2) : null);
      return;
    }
    for (let blk: Block | undefined; !out.failure && (blk = queue.shift());) {
      const sameRows = work.symmetric && blk.i === blk.j;
      const xa = await wireRows(x1, blk.r1);
      const xb = sameRows ? null : await wireRows(x2 ?? x1, blk.r2);
      if (!(await compute(p, w, `${blk.i},${blk.j}`, xa, xb))) return;
    }
  };
  await Promise.all(pool.slice(0, work.used).map(drive));
  return out;
}

/** The kernel from the workers' pieces: the sum of the shares, or the blocks assembled. */
function collectKernel(work: WorkPlan, done: Map<string, tf.Tensor>): Tensor {
  if (!work.shares) return assemble(done, work.n1, work.n2, work.size, work.layout, work.role);
  return tf.tidy(() => {
    const parts = [...done.values()];
    const sum = parts.reduce((acc, t) => tf.add(acc, t));
    tf.dispose(parts);
    return sum;
  });
}

/**
 * Returns a function computing the empirical NTK of a model or module function, with the
 * kernel's blocks of examples spread over a pool of workers. Same layouts, methods and results
 * as `empiricalNtkFn`; the method (AUTO) and the block size under the memory budget are decided
 * once in this thread, then each worker computes whole blocks.
 *
 * @param source a tfjs-layers `model.json` path or URL (`{ model }`), or a module exporting the
 *   function `f(params, x)` (`{ module, export = "f" }`) — functions cannot be sent to workers
 * @param options as `empiricalNtkFn`'s, plus `workers`
 *
 * @example Usage
 * ```ts
 * // deno run --allow-read
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { empiricalNtkParallelFn } from "@fast-ntk/fast-ntk";
 * // examples/cnn takes [N, 8, 8, 1]; paths are relative to the working directory (a clone of fast-ntk)
 * const ntk = empiricalNtkParallelFn({ model: "examples/cnn/model.json" }, { workers: 2 });
 * const k = await ntk(tf.randomNormal([16, 8, 8, 1]), null); // [16, 16], the model's own weights
 * assert.deepEqual(k.shape, [16, 16]);
 * ntk.dispose();
 * ```
 */
export function empiricalNtkParallelFn<P extends object = Record<string, Tensor>, R extends unknown[] = []>(
  source: NtkSource,
  options: ParallelNtkOptions = {},
): ParallelNtk<P, R> {
  checkParallelOptions(options);
  const where = absoluteSource(source);
  let loaded: Awaited<ReturnType<typeof loadSource>> | null = null;
  const pool = new WorkerPool(where, options);
  let disposed = false;

  const run: ParallelNtk<P, R>["run"] = async (x1, x2, given, ...rest) => {
    if (disposed) throw new Error("This NTK function was disposed");
    const t0 = performance.now();
    const backend = await ensureBackend(options.backend);
    loaded ??= await loadSource(where);
    const tree = given ?? loaded.params; // f's parameters in the caller's shape; the engine's, flat
    const params = flatParamsOf(tree);
    if (!params) throw new InvalidOptionError("params", undefined, ["the parameters of the module's function"]);
    checkArguments(x1, x2, params, loaded.f);
    await checkFiniteArguments(x1, x2, params);
    const workers = options.workers ?? (backend === "webgpu" ? 1 : navigator.hardwareConcurrency ?? 1);
    const local = empiricalNtkFn(bindParams<unknown, R>(loaded.f as never, tree, rest), { ...options, backend });
    const plan = await local.plan(x1, x2, params);
    const n1 = asList(x1)[0].shape[0], n2 = x2 ? asList(x2)[0].shape[0] : n1;
    const split = options.split ?? "auto";
    // Structured derivatives' cost is mostly the passes over each side, which every share or
    // block repeats: measured slower on workers (bench report), so "auto" keeps it in process.
    // (An empty problem has no blocks: nothing to spread.)
    const inProcess = workers === 1 || (split === "auto" && plan.method === "structured") || plan.blocks.count === 0;
    const shares = inProcess || split === "examples" ? null : shareParams(params, workers, split === "params");
    // Without a share of parameters per worker, blocks of examples — unless examples interact.
    if (inProcess || (!shares && (!plan.splittable || Math.max(n1, n2) === 1))) {
      const { kernel, info } = await local.run(x1, x2, params);
      return {
        kernel,
        info: { ...info, backend, workers: 1, split: "none", busyMs: [info.ms], ms: performance.now() - t0 },
      };
    }
    const work = divideWork(plan, { n1, n2 }, x2 === null, shares, workers, options);
    await pool.start(work.used, backend);
    sendParams(pool.workers, await toWireCall(params, tree, rest), work);
    const { done, flops, busyMs, failure } = await driveWorkers(pool.workers, work, x1, x2, options.onProgress);
    if (failure) {
      done.forEach((t) => t.dispose());
      // A failed worker may hold half a computation: start afresh next time.
      pool.stop();
      throw failure;
    }
    return {
      kernel: collectKernel(work, done),
      info: {
        method: plan.method,
        backend,
        workers: work.used,
        split: work.shares ? "params" : "examples",
        blocks: { size: work.size, count: work.shares ? work.used : work.blocks.length },
        flops,
        busyMs,
        ms: performance.now() - t0,
      },
    };
  };

  const fn = (async (x1, x2, params, ...rest) => (await run(x1, x2, params, ...rest)).kernel) as ParallelNtk<P, R>;
  fn.run = run;
  fn.dispose = () => {
    disposed = true;
    pool.stop();
    loaded?.dispose();
    loaded = null;
  };
  return fn;
}
