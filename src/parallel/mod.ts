/**
 * `empiricalNtkParallelFn`: the NTK computed in blocks of examples by a pool of Deno Workers,
 * one per core, each with its own tfjs engine — tfjs-wasm runs on a single thread in Deno, so
 * this is how a kernel uses the whole CPU.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type BackendName, ensureBackend } from "../backend.ts";
import { InvalidOptionError, ShapeMismatchError } from "../errors.ts";
import { type Layout, normalizeLayout } from "../layout.ts";
import { assemble, type Block, planBlocks, type RowRole, rowRole, sliceRows } from "../batching.ts";
import { asList, checkArguments, checkFinite, type Input } from "../validate.ts";
import { empiricalNtkFn, type EmpiricalNtkOptions, type NtkMethod } from "../ntk/mod.ts";
import { absoluteSource, type FromWorker, loadSource, type NtkSource, type ToWorker } from "./protocol.ts";
import { buffers, toWire, type WireTensor } from "./wire.ts";

export type { NtkSource } from "./protocol.ts";

export interface ParallelNtkOptions extends Omit<EmpiricalNtkOptions, "block" | "blockSize"> {
  /**
   * Workers to run. On WebGPU one process already has the whole GPU, so the default there is
   * 1 (computed in this thread, no workers). @default navigator.hardwareConcurrency (CPU backends)
   */
  workers?: number;
}

/** What `.run()` reports beside the kernel. */
export interface ParallelNtkInfo {
  method: Exclude<NtkMethod, "auto">;
  backend: BackendName;
  workers: number;
  blocks: { size: number; count: number };
  /** FLOPs of all blocks together. */
  flops: number;
  /** Milliseconds each worker spent computing blocks (the rest of `ms` is start-up and transfers). */
  busyMs: number[];
  ms: number;
}

export interface ParallelNtk {
  /** The NTK Θ(x1, x2) (x2 = null: x1) at `params` (default: a model source's own weights). */
  (x1: Input, x2: Input | null, params?: Record<string, tf.Tensor>): Promise<tf.Tensor>;
  run(
    x1: Input,
    x2: Input | null,
    params?: Record<string, tf.Tensor>,
  ): Promise<{ kernel: tf.Tensor; info: ParallelNtkInfo }>;
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
 * import * as tf from "@tensorflow/tfjs";
 * import { empiricalNtkParallelFn } from "./mod.ts";
 * const ntk = empiricalNtkParallelFn({ model: "examples/cnn/model.json" }, { workers: 2 });
 * const k = await ntk(tf.randomNormal([16, 8, 8, 3]), null); // [16, 16], the model's own weights
 * ntk.dispose();
 * ```
 */
export function empiricalNtkParallelFn(source: NtkSource, options: ParallelNtkOptions = {}): ParallelNtk {
  if (options.workers !== undefined && !(Number.isInteger(options.workers) && options.workers >= 1)) {
    throw new InvalidOptionError("workers", options.workers, ["a positive integer"]);
  }
  const where = absoluteSource(source);
  let loaded: Awaited<ReturnType<typeof loadSource>> | null = null;
  let pool: PoolWorker[] = [];
  let poolBackend: BackendName | null = null;
  let disposed = false;

  const startPool = async (n: number, backend: BackendName, method: Exclude<NtkMethod, "auto">) => {
    if (pool.length >= n && poolBackend === backend) return;
    stopPool();
    pool = Array.from({ length: n }, spawn);
    poolBackend = backend;
    const init: ToWorker = {
      type: "init",
      source: where,
      backend,
      options: {
        method,
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

  const run: ParallelNtk["run"] = async (x1, x2, given) => {
    if (disposed) throw new Error("This NTK function was disposed");
    const t0 = performance.now();
    const backend = await ensureBackend(options.backend);
    loaded ??= await loadSource(where);
    const params = given ?? loaded.params;
    if (!params) throw new InvalidOptionError("params", undefined, ["the parameters of the module's function"]);
    checkArguments(x1, x2, params);
    await checkFinite([
      ...Object.entries(params).map(([n, t]) => [`params["${n}"]`, t] as [string, tf.Tensor]),
      ...asList(x1).map((t, i, l) => [l.length > 1 ? `x1[${i}]` : "x1", t] as [string, tf.Tensor]),
      ...(x2 ? asList(x2).map((t, i, l) => [l.length > 1 ? `x2[${i}]` : "x2", t] as [string, tf.Tensor]) : []),
    ]);
    const workers = options.workers ?? (backend === "webgpu" ? 1 : navigator.hardwareConcurrency ?? 1);
    const local = empiricalNtkFn(loaded.f, { ...options, backend });
    const plan = await local.plan(x1, x2, params);
    const n1 = asList(x1)[0].shape[0], n2 = x2 ? asList(x2)[0].shape[0] : n1;
    if (workers === 1 || !plan.splittable || Math.max(n1, n2) === 1) {
      const { kernel, info } = await local.run(x1, x2, params);
      return {
        kernel,
        info: { ...info, backend, workers: 1, busyMs: [info.ms], ms: performance.now() - t0 },
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
    const k = blocksPerSide(Math.max(n1, n2), workers, role, symmetric);
    const size = Math.min(plan.blocks.size, Math.ceil(Math.max(n1, n2) / k));
    const blocks = planBlocks(n1, n2, size, role, symmetric);
    const used = Math.min(workers, blocks.length);
    await startPool(used, backend, plan.method);

    const wireParams: Record<string, WireTensor> = {};
    for (const [name, t] of Object.entries(params)) wireParams[name] = await toWire(t);
    // Each worker gets its own copy of the parameters (sent once per call, before its blocks).
    for (const p of pool.slice(0, used)) {
      const copy = Object.fromEntries(
        Object.entries(wireParams).map(([n, w]) => [n, { ...w, data: w.data.slice() }]),
      ) as Record<string, WireTensor>;
      p.worker.postMessage({ type: "params", params: copy } satisfies ToWorker, buffers(Object.values(copy)));
    }

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
    const queue = [...blocks];
    const drive = async (p: PoolWorker, w: number) => {
      for (let blk: Block | undefined; !failure && (blk = queue.shift());) {
        const sameRows = symmetric && blk.i === blk.j;
        const xa = await rows(x1, blk.r1);
        const xb = sameRows ? null : await rows(x2 ?? x1, blk.r2);
        const msg: ToWorker = { type: "block", id: blk.i * blocks.length + blk.j, x1: xa, x2: xb };
        p.worker.postMessage(msg, buffers([...xa, ...(xb ?? [])]));
        const reply = await p.next();
        if (reply.type === "error") {
          failure ??= rebuildError(reply);
          return;
        }
        if (reply.type !== "done") continue;
        done.set(`${blk.i},${blk.j}`, tf.tensor(reply.data, reply.shape));
        flops += reply.flops;
        busyMs[w] += reply.ms;
        options.onProgress?.(++finished / blocks.length);
      }
    };
    await Promise.all(pool.slice(0, used).map(drive));
    if (failure) {
      done.forEach((t) => t.dispose());
      // A failed worker may hold half a computation: start afresh next time.
      stopPool();
      throw failure;
    }
    const kernel = assemble(done, n1, n2, size, layout, role);
    return {
      kernel,
      info: {
        method: plan.method,
        backend,
        workers: used,
        blocks: { size, count: blocks.length },
        flops,
        busyMs,
        ms: performance.now() - t0,
      },
    };
  };

  const fn = (async (x1, x2, params) => (await run(x1, x2, params)).kernel) as ParallelNtk;
  fn.run = run;
  fn.dispose = () => {
    disposed = true;
    stopPool();
    loaded?.dispose();
    loaded = null;
  };
  return fn;
}
