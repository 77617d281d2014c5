/**
 * `empiricalNtkParallelFn`: the NTK computed in blocks of examples by a pool of Deno Workers,
 * one per core, each with its own tfjs engine — tfjs-wasm runs on a single thread in Deno, so
 * this is how a kernel uses the whole CPU.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type BackendName, ensureBackend } from "../core/backend.ts";
import { InvalidOptionError, ShapeMismatchError } from "../core/errors.ts";
import { type Layout, normalizeLayout } from "../core/layout.ts";
import { assemble, type Block, planBlocks, type RowRole, rowRole, sliceRows } from "../core/batching.ts";
import { asList, checkArguments, checkFiniteArguments, checkNtkOptions, type Input } from "../core/validate.ts";
import { empiricalNtkFn, type EmpiricalNtkOptions, METHOD_NAMES, type NtkMethod } from "../api/empirical_ntk.ts";
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
  const where = absoluteSource(source);
  let loaded: Awaited<ReturnType<typeof loadSource>> | null = null;
  let pool: PoolWorker[] = [];
  let poolBackend: BackendName | null = null;
  let disposed = false;

  const startPool = async (n: number, backend: BackendName) => {
    if (pool.length >= n && poolBackend === backend) return;
    stopPool();
    pool = Array.from({ length: n }, spawn);
    poolBackend = backend;
    const init: ToWorker = {
      type: "init",
      source: where,
      backend,
      options: {
        traceAxes: options.traceAxes,
        diagonalAxes: options.diagonalAxes,
        memoryBudget: options.memoryBudget,
        maxTensorBytes: options.maxTensorBytes,
      },
    };
    pool.forEach((p) => p.worker.postMessage(init));
    const replies = await Promise.all(pool.map((p) => p.next()));
    const bad = replies.find((r) => r.type === "error");
    if (bad) {
      stopPool();
      throw rebuildError(bad as { name: string; message: string });
    }
  };
  const stopPool = () => {
    pool.forEach((p) => p.worker.terminate());
    pool = [];
    poolBackend = null;
  };

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
    const layout: Layout = normalizeLayout(
      plan.outputShape.length + 1,
      options.traceAxes ?? [-1],
      options.diagonalAxes ?? [],
    );
    const role = rowRole(layout);
    if (role !== "free" && n1 !== n2) {
      throw new ShapeMismatchError("x2", n2, `the example axis is traced or diagonal, so x2 needs ${n1} examples`);
    }
    const symmetric = x2 === null;
    // Split by examples: blocks of the kernel; by parameters: each worker the whole kernel of its
    // share of the parameters (Θ is a sum over parameters), so no example is linearized twice for
    // the per-parameter work that dominates at large widths.
    let size = Math.max(n1, n2), blocks: Block[] = [], used: number;
    if (shares) {
      used = shares.length;
    } else {
      const k = blocksPerSide(Math.max(n1, n2), workers, role, symmetric);
      size = Math.min(plan.blocks.size, Math.ceil(Math.max(n1, n2) / k));
      blocks = planBlocks(n1, n2, size, role, symmetric);
      used = Math.min(workers, blocks.length);
    }
    await startPool(used, backend);

    const { params: wireParams, call } = await toWireCall(params, tree, rest);
    // Each worker gets its own copy of the parameters (sent once per call, before its work).
    pool.slice(0, used).forEach((p, w) => {
      const copy = copyWire(wireParams);
      const msg: ToWorker = {
        type: "params",
        params: copy,
        method: plan.method, // decided here for this call: AUTO may choose differently next time
        ...call,
        ...(shares ? { own: shares[w] } : {}),
      };
      p.worker.postMessage(msg, buffers(Object.values(copy)));
    });

    const rows = async (x: Input, r: [number, number]) => {
      const part = sliceRows(x, r[0], r[1]);
      try {
        return await Promise.all(asList(part).map(toWire));
      } finally {
        tf.dispose(asList(part));
      }
    };
    const done = new Map<string, tf.Tensor>();
    const busyMs = new Array(used).fill(0);
    let flops = 0, finished = 0, failure: Error | null = null;
    const total = shares ? used : blocks.length;
    /** Sends one piece of work and files its kernel under `key`; false when the worker failed. */
    const compute = async (p: PoolWorker, w: number, key: string, xa: WireTensor[], xb: WireTensor[] | null) => {
      p.worker.postMessage(
        { type: "block", id: finished, x1: xa, x2: xb } satisfies ToWorker,
        buffers([...xa, ...(xb ?? [])]),
      );
      const reply = await p.next();
      if (reply.type === "error") {
        failure ??= rebuildError(reply);
        return false;
      }
      if (reply.type === "done") {
        done.set(key, tf.tensor(reply.data, reply.shape));
        flops += reply.flops;
        busyMs[w] += reply.ms;
        options.onProgress?.(++finished / total);
      }
      return true;
    };
    const queue = [...blocks];
    const drive = async (p: PoolWorker, w: number) => {
      if (shares) {
        const all = (x: Input) => rows(x, [0, asList(x)[0].shape[0]]);
        await compute(p, w, `share ${w}`, await all(x1), x2 ? await all(x2) : null);
        return;
      }
      for (let blk: Block | undefined; !failure && (blk = queue.shift());) {
        const sameRows = symmetric && blk.i === blk.j;
        const xa = await rows(x1, blk.r1);
        const xb = sameRows ? null : await rows(x2 ?? x1, blk.r2);
        if (!(await compute(p, w, `${blk.i},${blk.j}`, xa, xb))) return;
      }
    };
    await Promise.all(pool.slice(0, used).map(drive));
    if (failure) {
      done.forEach((t) => t.dispose());
      // A failed worker may hold half a computation: start afresh next time.
      stopPool();
      throw failure;
    }
    const kernel = shares
      ? tf.tidy(() => {
        const parts = [...done.values()];
        const sum = parts.reduce((acc, t) => tf.add(acc, t));
        tf.dispose(parts);
        return sum;
      })
      : assemble(done, n1, n2, size, layout, role);
    return {
      kernel,
      info: {
        method: plan.method,
        backend,
        workers: used,
        split: shares ? "params" : "examples",
        blocks: { size, count: shares ? used : blocks.length },
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
    stopPool();
    loaded?.dispose();
    loaded = null;
  };
  return fn;
}
