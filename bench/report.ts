/**
 * `deno task bench:report`: the paper's Figure 1 grid — the FCN (input 3, 10 hidden ReLU layers
 * of width W, output O, no bias), full NTK, independent x1, x2 of N each, W ∈ {64…1024},
 * O ∈ {1, 16, 128}, N ∈ {1, 4, 16} — plus a small CNN, an embedding model and an RNN, for every method,
 * with AUTO's choice, and PyTorch (bench/peers/torch_ntk.py) side by side when it is installed.
 * Writes bench/results/<backend>-<date>.json and .svg (and latest-<backend>.svg).
 *
 *   deno task bench:report [--backend wasm] [--budget-s 12] [--no-torch] [--python python3]
 *
 * Cells whose predicted time exceeds the budget are skipped and listed — never the target cells.
 */
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { empiricalNtkFn, empiricalNtkParallelFn, initBackend, type NtkInfo, type ParamFn, writeNpy } from "../mod.ts";
import { measureThroughput } from "../src/ntk/cost.ts";
import { paperFcn } from "../tests/ntk/_models.ts";
import { randn } from "../tests/_data.ts";
import { figureSvg, type Panel } from "./_figure.ts";
import { cnn, rnn } from "./_fns.ts";

const { values: opt } = parseArgs({
  options: {
    backend: { type: "string", default: "auto" },
    "budget-s": { type: "string", default: "12" },
    "no-torch": { type: "boolean", default: false },
    python: { type: "string", default: "python3" },
    quick: { type: "boolean", default: false },
    "no-workers": { type: "boolean", default: false },
  },
});
const backend = await initBackend(opt.backend as "auto");
const speed = await measureThroughput(); // this machine's, now (AUTO's later calls use it too)
const BUDGET_MS = Number(opt["budget-s"]) * 1000;
const METHODS = ["jacobian", "ntkvp", "structured"] as const;
type M = (typeof METHODS)[number];
const WIDTHS = opt.quick ? [64, 256] : [64, 128, 256, 512, 1024];
const OUTS = opt.quick ? [1, 16] : [1, 16, 128];
const NS = opt.quick ? [1, 4] : [1, 4, 16];
const key = (w: number, o: number, n: number) => `fcn W=${w} O=${o} N=${n}`;
/** Cells measured whatever their predicted time (the report's targets). */
const TARGETS = new Map<string, M[]>([
  [key(1024, 16, 16), ["jacobian", "structured"]],
  [key(512, 16, 16), ["jacobian", "structured"]],
  [key(256, 16, 16), ["structured"]],
  [key(512, 16, 4), ["structured"]],
]);

interface Result {
  median?: number;
  min?: number;
  max?: number;
  flops?: number;
  peakBytes?: number;
  gflops?: number;
  contractionGflops?: number;
  skipped?: string;
}
interface Cell {
  id: string;
  workload: string;
  W?: number;
  O: number;
  N: number;
  params: number;
  results: Partial<Record<M, Result>>;
  auto: { choice: M; estimatesMs: Record<string, number>; fastest?: M; withinPct?: number };
  torch?: Record<string, { median?: number; min?: number; max?: number; error?: string; agreement?: number }>;
}

const tmp = await Deno.makeTempDir({ prefix: "fast-ntk-report-" });
const cells: Cell[] = [];
const torchJobs: { id: string; kind: string; dir: string; methods: string[]; max_seconds: number }[] = [];

async function timeMethod(
  f: ParamFn,
  params: Record<string, tf.Tensor>,
  x1: tf.Tensor,
  x2: tf.Tensor,
  m: M,
  predicted: number,
) {
  const ntk = empiricalNtkFn(f, { method: m, traceAxes: [] });
  const reps = predicted < 400 ? 4 : predicted < 3000 ? 2 : 1;
  const times: number[] = [];
  let info: NtkInfo | null = null, kernel: tf.Tensor | null = null;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    const out = await ntk.run(x1, x2, params);
    await out.kernel.data();
    times.push(performance.now() - t0);
    info = out.info;
    kernel?.dispose();
    kernel = out.kernel;
  }
  const runs = times.length > 1 ? times.slice(1) : times; // the first run warms up
  const median = [...runs].sort((a, b) => a - b)[Math.floor(runs.length / 2)];
  const result: Result = {
    median,
    min: Math.min(...runs),
    max: Math.max(...runs),
    flops: info!.flops,
    peakBytes: info!.peakBytes,
    gflops: info!.flops / median / 1e6,
    ...(info!.contraction ? { contractionGflops: info!.contraction.flops / info!.contraction.ms / 1e6 } : {}),
  };
  return { result, kernel: kernel! };
}

async function runCell(
  id: string,
  workload: string,
  f: ParamFn,
  params: Record<string, tf.Tensor>,
  x1: tf.Tensor,
  x2: tf.Tensor,
  meta: { W?: number; O: number; N: number; torchKind?: string },
) {
  const plan = await empiricalNtkFn(f, { method: "auto", traceAxes: [] }).plan(x1, x2, params);
  const cell: Cell = {
    id,
    workload,
    ...meta,
    params: Object.values(params).reduce((a, t) => a + t.size, 0),
    results: {},
    auto: { choice: plan.method as M, estimatesMs: plan.estimates },
  };
  const dir = `${tmp}/${id.replace(/[^a-zA-Z0-9]+/g, "_")}`;
  await Deno.mkdir(dir, { recursive: true });
  let ours: tf.Tensor | null = null;
  for (const m of METHODS) {
    const predicted = plan.estimates[m];
    const target = TARGETS.get(id)?.includes(m) || (TARGETS.has(id) && m === plan.method);
    if (!target && predicted > BUDGET_MS) {
      cell.results[m] = { skipped: `predicted ${(predicted / 1000).toFixed(0)} s > ${BUDGET_MS / 1000} s budget` };
      continue;
    }
    const { result, kernel } = await timeMethod(f, params, x1, x2, m, predicted);
    cell.results[m] = result;
    if (!ours) ours = kernel;
    else kernel.dispose();
    console.error(`${id} ${m}: ${result.median!.toFixed(1)} ms (${(result.flops! / 1e9).toFixed(3)} GFLOP)`);
  }
  const timed = METHODS.filter((m) => cell.results[m]?.median !== undefined);
  const fastest = timed.reduce((b, m) => (cell.results[m]!.median! < cell.results[b]!.median! ? m : b), timed[0]);
  cell.auto.fastest = fastest;
  const chosen = cell.results[cell.auto.choice]?.median;
  if (chosen !== undefined) cell.auto.withinPct = 100 * (chosen / cell.results[fastest]!.median! - 1);
  // Files for the PyTorch peer, and our kernel for the agreement check.
  if (meta.torchKind && ours) {
    const order = Object.keys(params);
    await Deno.writeTextFile(`${dir}/order.json`, JSON.stringify(order));
    for (const n of order) await writeNpy(`${dir}/p_${n}.npy`, params[n]);
    await writeNpy(`${dir}/x1.npy`, x1);
    await writeNpy(`${dir}/x2.npy`, x2);
    await writeNpy(`${dir}/ours.npy`, ours);
    // PyTorch's per-example Jacobians hold N·O·P floats per side (W = 512, O = 16, N = 16:
    // 5 GB resident, measured); its vmapped NTK-vector products one P-vector per (pair,
    // output): skip cells estimated beyond 12 GB on this 24 GB machine.
    const n = meta.N, o = meta.O, p = cell.params;
    const methods = [["jacobian", 2 * n * o * p * 4 * 2], ["ntkvp", n * n * o * p * 4 * 2]]
      .filter(([, bytes]) => (bytes as number) < 12e9).map(([m]) => m as string);
    if (methods.length) torchJobs.push({ id, kind: meta.torchKind, dir, methods, max_seconds: 20 });
  }
  ours?.dispose();
  cells.push(cell);
}

// ---- the FCN grid ----
for (const w of WIDTHS) {
  for (const o of OUTS) {
    for (const n of NS) {
      const model = paperFcn(w, o);
      const params = model.params();
      const [x1, x2] = [model.input(n, 1), model.input(n, 2)];
      await runCell(key(w, o, n), "FCN (paper's Figure 1)", model.f, params, x1, x2, {
        W: w,
        O: o,
        N: n,
        torchKind: "fcn",
      });
      tf.dispose([x1, x2, ...Object.values(params)]);
    }
  }
}

// ---- a small CNN: 3 conv layers, 16 channels, 3×3, 8×8×3 input, N = 8, O = 10 ----
{
  const f = cnn;
  const params = {
    k0: randn([3, 3, 3, 16], 1, 0.3),
    k1: randn([3, 3, 16, 16], 2, 0.1),
    k2: randn([3, 3, 16, 16], 3, 0.1),
    out: randn([16, 10], 4, 0.25),
  };
  const [x1, x2] = [randn([8, 8, 8, 3], 5), randn([8, 8, 8, 3], 6)];
  await runCell("cnn 3×conv16 8×8×3 O=10 N=8", "small CNN", f, params, x1, x2, { O: 10, N: 8, torchKind: "cnn" });
  tf.dispose([x1, x2, ...Object.values(params)]);
}

// ---- an embedding model: Embedding(5000, 32) over 16 tokens, mean, dense O = 8, N = 8 ----
{
  const f: ParamFn = (p, x) => tf.matMul(tf.tanh(tf.mean(tf.gather(p.emb, x as tf.Tensor), 1)), p.out);
  const params = { emb: randn([5000, 32], 7, 0.5), out: randn([32, 8], 8, 0.3) };
  const ids = (s: number) =>
    tf.tensor(Int32Array.from({ length: 8 * 16 }, (_, i) => (i * 7919 + s * 104729) % 5000), [8, 16], "int32");
  const [x1, x2] = [ids(1), ids(2)];
  await runCell("embedding 5000×32 T=16 O=8 N=8", "embedding", f, params, x1, x2, { O: 8, N: 8 });
  tf.dispose([x1, x2, ...Object.values(params)]);
}

// ---- an RNN: 16 steps of width 128 over 8 features, O = 1, N = 32 (weights shared by all steps) ----
{
  const params = { w: randn([8, 128], 9, 0.35), u: randn([128, 128], 10, 0.088), out: randn([128, 1], 11, 0.088) };
  const [x1, x2] = [randn([32, 16, 8], 12), randn([32, 16, 8], 13)];
  await runCell("rnn T=16 H=128 O=1 N=32", "RNN (shared weights)", rnn, params, x1, x2, { O: 1, N: 32 });
  tf.dispose([x1, x2, ...Object.values(params)]);
}

// ---- Deno Workers: the same kernels on one worker per core vs in this thread ----
interface WorkerRun {
  id: string;
  method: M;
  split: string;
  workers: number;
  inProcessMs: number;
  workersMs: number;
  speedup: number;
  startupMs: number;
  blocks: number;
  agreement: number;
}
const workerRuns: WorkerRun[] = [];
if (!opt["no-workers"] && backend !== "webgpu" && navigator.hardwareConcurrency > 1) {
  const fns = new URL("./_fns.ts", import.meta.url);
  const jobs: {
    id: string;
    fn: string;
    method: M;
    split: "auto" | "params" | "examples";
    make: () => { p: Record<string, tf.Tensor>; x1: tf.Tensor; x2: tf.Tensor };
  }[] = [
    ...(opt.quick ? [[256, 16, 4, "jacobian", "auto"]] : [
      [256, 16, 16, "jacobian", "auto"],
      [256, 16, 4, "ntkvp", "auto"],
      [256, 16, 4, "ntkvp", "examples"],
      [512, 16, 16, "structured", "params"],
      [512, 16, 16, "structured", "examples"],
    ])
      .map(([w, o, n, m, split]) => ({
        id: key(w as number, o as number, n as number),
        fn: "fcn",
        method: m as M,
        split: split as "auto",
        make: () => {
          const model = paperFcn(w as number, o as number);
          return { p: model.params(), x1: model.input(n as number, 1), x2: model.input(n as number, 2) };
        },
      })),
    {
      id: "cnn 3×conv16 8×8×3 O=10 N=8",
      fn: "cnn",
      method: "jacobian",
      split: "auto",
      make: () => ({
        p: {
          k0: randn([3, 3, 3, 16], 1, 0.3),
          k1: randn([3, 3, 16, 16], 2, 0.1),
          k2: randn([3, 3, 16, 16], 3, 0.1),
          out: randn([16, 10], 4, 0.25),
        },
        x1: randn([8, 8, 8, 3], 5),
        x2: randn([8, 8, 8, 3], 6),
      }),
    },
  ];
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  for (const job of jobs) {
    const { p, x1, x2 } = job.make();
    const single = empiricalNtkFn(job.fn === "cnn" ? cnn : paperFcn(1, 1).f, { method: job.method, traceAxes: [] });
    const par = empiricalNtkParallelFn({ module: fns, export: job.fn }, {
      method: job.method,
      traceAxes: [],
      split: job.split,
    });
    const t0 = performance.now();
    const warm = await par.run(x1, x2, p); // starts the pool
    const startupMs = performance.now() - t0 - Math.max(...warm.info.busyMs);
    const times = { single: [] as number[], par: [] as number[] };
    let a: tf.Tensor | null = null, b: tf.Tensor | null = warm.kernel;
    const reps = 3;
    for (let r = 0; r < reps; r++) {
      let t = performance.now();
      a?.dispose();
      a = await single(x1, x2, p);
      await a.data();
      times.single.push(performance.now() - t);
      t = performance.now();
      b?.dispose();
      const run = await par.run(x1, x2, p);
      b = run.kernel;
      await b.data();
      times.par.push(performance.now() - t);
      if (r === reps - 1) {
        const entry: WorkerRun = {
          id: job.id,
          method: job.method,
          split: run.info.split,
          workers: run.info.workers,
          inProcessMs: median(times.single),
          workersMs: median(times.par),
          speedup: median(times.single) / median(times.par),
          startupMs,
          blocks: run.info.blocks.count,
          agreement: maxRelDiff(await a.data(), await b.data()),
        };
        workerRuns.push(entry);
        console.error(
          `workers ${job.id} ${job.method} (${entry.split}): ${entry.inProcessMs.toFixed(0)} ms in process, ` +
            `${entry.workersMs.toFixed(0)} ms on ${entry.workers} workers (×${entry.speedup.toFixed(2)})`,
        );
      }
    }
    tf.dispose([a!, b!, x1, x2, ...Object.values(p)]);
    par.dispose();
  }
}

// ---- the PyTorch peer ----
let torchInfo: Record<string, unknown> | null = null;
if (!opt["no-torch"] && torchJobs.length) {
  const job = `${tmp}/job.json`, result = `${tmp}/torch.json`;
  await Deno.writeTextFile(job, JSON.stringify({ threads: navigator.hardwareConcurrency, cells: torchJobs }));
  const threads = String(navigator.hardwareConcurrency);
  try {
    const r = await new Deno.Command(opt.python!, {
      args: [new URL("./peers/torch_ntk.py", import.meta.url).pathname, job, result],
      env: { OMP_NUM_THREADS: threads, OPENBLAS_NUM_THREADS: threads, MKL_NUM_THREADS: threads },
      stderr: "inherit",
      stdout: "inherit",
    }).output();
    if (r.code === 0) {
      torchInfo = JSON.parse(await Deno.readTextFile(result));
      const byId = (torchInfo as { cells: Record<string, Record<string, { median?: number; kernel?: string }>> }).cells;
      for (const cell of cells) {
        const t = byId[cell.id];
        if (!t) continue;
        cell.torch = {};
        const dir = `${tmp}/${cell.id.replace(/[^a-zA-Z0-9]+/g, "_")}`;
        const ours = await Deno.readFile(`${dir}/ours.npy`).then((b) => b).catch(() => null);
        for (const [m, v] of Object.entries(t)) {
          const entry: Record<string, number | string> = { ...(v as Record<string, number>) };
          if (v.kernel && ours) {
            entry.agreement = await agreement(`${dir}/ours.npy`, v.kernel).catch((e) => {
              console.error(`${cell.id} torch ${m}: ${(e as Error).message}`);
              return NaN;
            });
          }
          delete entry.kernel;
          cell.torch[m] = entry;
        }
      }
    } else console.error(`PyTorch peer exited with ${r.code}: skipped`);
  } catch (e) {
    console.error(`PyTorch peer not run: ${(e as Error).message}`);
  }
}

/** max|u − v| / max|u|: how far v (a peer's kernel, or the workers') is from ours. */
function maxRelDiff(u: ArrayLike<number>, v: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < u.length; i++) num = Math.max(num, Math.abs(u[i] - v[i])), den = Math.max(den, Math.abs(u[i]));
  return num / den;
}

async function agreement(a: string, b: string): Promise<number> {
  const { readNpy } = await import("../mod.ts");
  const [x, y] = [await readNpy(a), await readNpy(b)];
  const d = maxRelDiff(await x.data(), await y.data());
  tf.dispose([x, y]);
  return d;
}

// ---- summary, targets, files ----
const fcn = (w: number, o: number, n: number) => cells.find((c) => c.id === key(w, o, n));
const targets: Record<string, unknown> = {};
const big = fcn(1024, 16, 16);
if (big?.results.jacobian?.median && big.results.structured?.median) {
  targets["structured vs jacobian at W=1024 O=16 N=16"] = {
    timeRatio: big.results.jacobian.median / big.results.structured.median,
    flopRatio: big.results.jacobian.flops! / big.results.structured.flops!,
    jacobianContractionGflops: big.results.jacobian.contractionGflops,
    backendMatmulGflops: speed.gflops,
  };
}
const autoBest = (c: Cell) => c.results[c.auto.choice]?.median;
const torchBest = (c: Cell) => Math.min(...Object.values(c.torch ?? {}).map((t) => t.median ?? Infinity));
for (const c of cells) {
  const vs = torchBest(c);
  if (Number.isFinite(vs) && autoBest(c)) targets[`auto vs torch · ${c.id}`] = vs / autoBest(c)!;
}
const judged = cells.filter((c) => c.auto.withinPct !== undefined);
const hits = judged.filter((c) => c.auto.withinPct! <= 20);
targets["auto within 20% of the fastest"] = {
  hits: hits.length,
  cells: judged.length,
  misses: judged.filter((c) => c.auto.withinPct! > 20).map((c) =>
    `${c.id}: chose ${c.auto.choice} (+${c.auto.withinPct!.toFixed(0)}%), fastest ${c.auto.fastest}`
  ),
};

const date = new Date().toISOString().slice(0, 10);
const out = new URL("./results/", import.meta.url).pathname;
await Deno.mkdir(out, { recursive: true });
const machine = {
  cores: navigator.hardwareConcurrency,
  os: Deno.build.os,
  arch: Deno.build.arch,
  deno: Deno.version.deno,
};
const report = {
  date,
  backend,
  machine,
  matmulGflops: speed.gflops,
  launchMs: speed.launchMs,
  budgetSeconds: BUDGET_MS / 1000,
  torch: torchInfo &&
    {
      version: torchInfo.torch,
      threads: torchInfo.threads,
      blas: torchInfo.blas,
      matmulGflops: torchInfo.matmul_gflops,
    },
  targets,
  cells,
  workers: workerRuns,
};
await Deno.writeTextFile(`${out}${backend}-${date}.json`, JSON.stringify(report, null, 1));

const colours: Record<string, string> = {
  jacobian: "#d62728",
  ntkvp: "#1f77b4",
  structured: "#2ca02c",
  "torch jacobian": "#d62728",
  "torch ntkvp": "#1f77b4",
};
const panels: Panel[][] = OUTS.map((o) =>
  NS.map((n) => ({
    title: `O=${o}, N=${n}`,
    series: [
      ...METHODS.map((m) => ({
        label: m,
        colour: colours[m],
        points: WIDTHS.flatMap((w): [number, number][] => {
          const r = fcn(w, o, n)?.results[m]?.median;
          return r ? [[w, r]] : [];
        }),
      })),
      ...["jacobian", "ntkvp"].map((m) => ({
        label: `torch ${m}`,
        colour: colours[`torch ${m}`],
        dashed: true,
        points: WIDTHS.flatMap((w): [number, number][] => {
          const r = fcn(w, o, n)?.torch?.[m]?.median;
          return r ? [[w, r]] : [];
        }),
      })),
    ],
  }))
);
const svg = figureSvg(
  panels,
  `fast-ntk on ${backend} (${date}): FCN, 10 hidden ReLU layers, full NTK — dashed: PyTorch`,
  WIDTHS,
);
await Deno.writeTextFile(`${out}${backend}-${date}.svg`, svg);
await Deno.writeTextFile(`${out}latest-${backend}.svg`, svg);
await Deno.remove(tmp, { recursive: true });

// A short table on stdout.
const fmt = (r?: Result) => (r?.median !== undefined ? `${r.median.toFixed(0)} ms` : r?.skipped ? "skip" : "—");
console.log(
  `backend ${backend} · matMul ${speed.gflops.toFixed(1)} GFLOP/s · launch ${(speed.launchMs * 1000).toFixed(0)} µs`,
);
console.log("| cell | jacobian | ntkvp | structured | auto picks | torch best |");
console.log("| --- | --- | --- | --- | --- | --- |");
for (const c of cells) {
  const tb = torchBest(c);
  console.log(
    `| ${c.id} | ${fmt(c.results.jacobian)} | ${fmt(c.results.ntkvp)} | ${
      fmt(c.results.structured)
    } | ${c.auto.choice}${
      c.auto.withinPct !== undefined && c.auto.withinPct > 20 ? ` (+${c.auto.withinPct.toFixed(0)}%)` : ""
    } | ${Number.isFinite(tb) ? `${tb.toFixed(0)} ms` : "—"} |`,
  );
}
if (workerRuns.length) {
  console.log(
    "\n| workers cell | method | split | in process | workers | speed-up |\n| --- | --- | --- | --- | --- | --- |",
  );
  for (const w of workerRuns) {
    console.log(
      `| ${w.id} | ${w.method} | ${w.split} | ${w.inProcessMs.toFixed(0)} ms | ${
        w.workersMs.toFixed(0)
      } ms (${w.workers}) | ×${w.speedup.toFixed(2)} |`,
    );
  }
}
console.log(JSON.stringify(targets, null, 1));
console.log(`wrote bench/results/${backend}-${date}.json and .svg`);
