/**
 * `deno task bench:suite`: the realistic suite of issue 15 beside PyTorch — a CIFAR-like CNN, an
 * MLP, MobileNetV2, a transformer encoder block and an RNN, traced NTK (mean over the logits) —
 * with, per cell: fast-ntk's time for "auto" and every method that fits, PyTorch's
 * (bench/peers/torch_suite.py, same weights and inputs), their agreement, a roofline bound from the
 * layer shapes (./_roofline.ts), time/bound, the per-call overhead and the engine's counted FLOPs
 * over a kernel-hook count of what ran. Writes bench/results/suite-<backend>-<date>.json, .svg and .md.
 *
 *   deno task bench:suite [--smoke] [--backend wasm] [--no-torch] [--python /usr/bin/python3]
 *                         [--reps 5] [--once-s 120] [--budget-s 300] [--peer-budget-s 900]
 *                         [--peer-lib DIR] [--only a,b] [--except a,b] [--methods auto,jacobian] [--tag t]
 *   deno task bench:suite --merge a.json,b.json [--tag t]   (runs over disjoint cells as one report)
 *
 * Times are medians of `reps` runs after a warm-up; a warm-up over `once-s` seconds is the only run
 * (said so; at smoke size once-s is 0: one run each, for the agreement, under a minute). A method AUTO estimates beyond `budget-s` is skipped (said so). The overhead is the
 * median call minus the summed kernel time of one more run under tf.profile.
 *
 * Debian's python3-torch calls the BLAS libblas.so.3 resolves to — with only libblas3 installed,
 * the netlib reference BLAS, ~10× slower than OpenBLAS. For a fair peer without touching the
 * system: `apt-get download libopenblas0-pthread && dpkg-deb -x libopenblas0-pthread_*.deb ob`,
 * then `--peer-lib ob/usr/lib/x86_64-linux-gnu/openblas-pthread`. The report records the library
 * the peer actually loaded.
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { empiricalNtkFn, initBackend, type NtkInfo, readNpy, writeNpy } from "../../mod.ts";
import {
  boundMs,
  type Hooked,
  hookedRun,
  type Machine,
  measureMachine,
  type Unavoidable,
  unavoidable,
} from "./_roofline.ts";
import { suite, type Workload, writePeerFiles } from "./_workloads.ts";

export const SUITE_METHODS = ["auto", "jacobian", "ntkvp", "structured"] as const;
export type SuiteMethod = (typeof SUITE_METHODS)[number];

/** Times of one measured side (ms), or why there are none. */
export interface Timing {
  median?: number;
  min?: number;
  max?: number;
  runs?: number;
  note?: string;
  skipped?: string;
  error?: string;
}

/** One method's measurement on one cell. */
export interface MethodResult extends Timing {
  /** The method that ran (AUTO's choice for "auto"). */
  ran?: string;
  /** Engine's counted FLOPs (info.flops) and the hooked count of the warm-up run. */
  countedFlops?: number;
  hooked?: Omit<Hooked, "byName"> & { byName: Record<string, number> };
  countedOverHooked?: number;
  /** Median minus the warm-up's summed kernel time (ms). */
  overheadMs?: number;
  /** max|K − K_torch| / max|K_torch|. */
  agreement?: number;
  /** Against the first method that ran, when PyTorch did not. */
  agreementInternal?: number;
}

export interface SuiteCell {
  id: string;
  description: string;
  kind: string;
  N: number;
  O: number;
  params: number;
  estimatesMs: Record<string, number>;
  results: Partial<Record<SuiteMethod, MethodResult>>;
  torch?: Timing & { params?: number; chunk?: number };
  roofline: Unavoidable & { boundMs: number };
}

export interface SuiteReport {
  date: string;
  backend: string;
  smoke: boolean;
  machine: Machine & { cores: number; os: string; loadAverage?: string; note: string };
  torch?: { version: string; threads: number; blas: string; blasLibrary: string; matmulGflops: number };
  reps: number;
  onceS: number;
  cells: SuiteCell[];
}

export interface SuiteOptions {
  smoke: boolean;
  backend: string;
  torch: boolean;
  python: string;
  reps: number;
  onceS: number;
  budgetS: number;
  peerBudgetS: number;
  /** A directory put first on the peer's LD_LIBRARY_PATH (an OpenBLAS libblas.so.3). */
  peerLib?: string;
  /** Time without tf.profile: no hooked FLOPs, no overhead. */
  noProfile?: boolean;
  /** Cells whose id contains one of these (all when absent), less those containing one of `except`. */
  only?: string[];
  except?: string[];
  /** The methods to time (all when absent). */
  methods?: SuiteMethod[];
  log?: (s: string) => void;
  /** Called with the cells measured so far, after each (partial results survive an interruption). */
  onCell?: (cells: SuiteCell[]) => Promise<void>;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timeMethod(w: Workload, m: SuiteMethod, o: SuiteOptions, dir: string): Promise<MethodResult> {
  const ntk = empiricalNtkFn(w.f, { method: m });
  const call = async () => {
    const t0 = performance.now();
    const out = await ntk.run(w.x1, w.x2, w.params);
    await out.kernel.data();
    return { ...out, ms: performance.now() - t0 };
  };
  // A profiled warm-up (its kernels give the hooked FLOPs), the timed runs, then a hot profiled
  // run for the overhead's kernel time. A warm-up over onceS is the only run, its own overhead.
  if (o.noProfile) return await timeUnprofiled(call, m, o, dir);
  const { result: first, hooked: firstHooked } = await hookedRun(call);
  await writeNpy(`${dir}/ours_${m}.npy`, first.kernel);
  first.kernel.dispose();
  if (first.ms > o.onceS * 1000) {
    return {
      ran: first.info.method,
      median: first.ms,
      min: first.ms,
      max: first.ms,
      runs: 1,
      note: `ran once: ${(first.ms / 1000).toFixed(0)} s > ${o.onceS} s (no warm-up; the run was profiled)`,
      countedFlops: first.info.flops,
      hooked: firstHooked,
      countedOverHooked: first.info.flops / firstHooked.flops,
      overheadMs: first.ms - firstHooked.kernelMs,
    };
  }
  const times: number[] = [];
  for (let r = 0; r < o.reps; r++) {
    const run = await call();
    run.kernel.dispose();
    times.push(run.ms);
  }
  const { result: profiled, hooked } = await hookedRun(call);
  profiled.kernel.dispose();
  const info: NtkInfo = profiled.info;
  const med = median(times);
  return {
    ran: info.method,
    median: med,
    min: Math.min(...times),
    max: Math.max(...times),
    runs: times.length,
    countedFlops: info.flops,
    hooked,
    countedOverHooked: info.flops / hooked.flops,
    overheadMs: med - hooked.kernelMs,
  };
}

/** The same without tf.profile (MobileNetV2 at 224×224 fails under it: see the report). */
async function timeUnprofiled(
  call: () => Promise<{ kernel: tf.Tensor; info: NtkInfo; ms: number }>,
  m: SuiteMethod,
  o: SuiteOptions,
  dir: string,
): Promise<MethodResult> {
  const first = await call();
  await writeNpy(`${dir}/ours_${m}.npy`, first.kernel);
  first.kernel.dispose();
  const times = [first.ms];
  if (first.ms <= o.onceS * 1000) {
    times.length = 0;
    for (let r = 0; r < o.reps; r++) {
      const run = await call();
      run.kernel.dispose();
      times.push(run.ms);
    }
  }
  return {
    ran: first.info.method,
    median: median(times),
    min: Math.min(...times),
    max: Math.max(...times),
    runs: times.length,
    note: `${times.length === 1 ? "ran once; " : ""}not profiled (--no-profile)`,
    countedFlops: first.info.flops,
  };
}

async function measureCell(w: Workload, o: SuiteOptions, machine: Machine, dir: string): Promise<SuiteCell> {
  const log = o.log ?? console.error;
  const plan = await empiricalNtkFn(w.f, { method: "auto" }).plan(w.x1, w.x2, w.params);
  const u = unavoidable(w.layers, w.N, w.N, w.O, w.inputPerExample);
  const params = Object.values(w.params).reduce((a, t) => a + t.size, 0);
  const cell: SuiteCell = {
    id: w.id,
    description: w.description,
    kind: w.kind,
    N: w.N,
    O: w.O,
    params,
    estimatesMs: plan.estimates,
    results: {},
    roofline: { ...u, boundMs: boundMs(u, machine) },
  };
  if (u.params !== params) log(`${w.id}: the formula's ${u.params} parameters ≠ the model's ${params}`);
  for (const m of SUITE_METHODS) {
    if (o.methods && !o.methods.includes(m)) {
      cell.results[m] = { skipped: "not asked for in this run" };
      continue;
    }
    const est = m === "auto" ? plan.estimates[plan.method] : plan.estimates[m];
    if (est > o.budgetS * 1000) {
      cell.results[m] = { skipped: `AUTO estimates ${(est / 1000).toFixed(0)} s > budget ${o.budgetS} s` };
      log(`${w.id} ${m}: skipped (${cell.results[m]!.skipped})`);
      continue;
    }
    try {
      cell.results[m] = await timeMethod(w, m, o, dir);
      const r = cell.results[m]!;
      log(
        `${w.id} ${m}${m === "auto" ? `→${r.ran}` : ""}: ${r.median!.toFixed(1)} ms (${r.runs} runs) counted/hooked ${
          r.countedOverHooked?.toFixed(2)
        } overhead ${r.overheadMs?.toFixed(1)} ms`,
      );
    } catch (e) {
      const err = e as Error;
      cell.results[m] = { error: `${err.name}: ${err.message}`.slice(0, 300) };
      log(`${w.id} ${m}: ERROR ${cell.results[m]!.error}`);
    }
  }
  // Agreement among our methods (PyTorch's comes after the peer ran).
  const ran = SUITE_METHODS.filter((m) => cell.results[m]?.median !== undefined);
  if (ran.length) {
    const ref = await readNpy(`${dir}/ours_${ran[0]}.npy`);
    for (const m of ran) cell.results[m]!.agreementInternal = await relDiff(`${dir}/ours_${m}.npy`, ref);
    ref.dispose();
  }
  return cell;
}

/** max|K − ref| / max|ref| of the kernel at `path`. */
async function relDiff(path: string, ref: tf.Tensor): Promise<number> {
  const k = await readNpy(path);
  const [a, b] = [await k.data(), await ref.data()];
  k.dispose();
  if (a.length !== b.length) return NaN;
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) num = Math.max(num, Math.abs(a[i] - b[i])), den = Math.max(den, Math.abs(b[i]));
  return num / den;
}

async function runPeer(o: SuiteOptions, tmp: string, jobs: Record<string, unknown>[]) {
  const job = `${tmp}/job.json`, result = `${tmp}/torch.json`;
  await Deno.writeTextFile(
    job,
    JSON.stringify({ threads: 2, reps: o.reps, once_s: o.onceS, budget_s: o.peerBudgetS, cells: jobs }),
  );
  // Two threads, as the issue's measurements; OpenMP and OpenBLAS told so too.
  const r = await new Deno.Command(o.python, {
    args: [new URL("../peers/torch_suite.py", import.meta.url).pathname, job, result],
    env: {
      OMP_NUM_THREADS: "2",
      OPENBLAS_NUM_THREADS: "2",
      MKL_NUM_THREADS: "2",
      ...(o.peerLib ? { LD_LIBRARY_PATH: [o.peerLib, Deno.env.get("LD_LIBRARY_PATH")].filter(Boolean).join(":") } : {}),
    },
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (r.code !== 0) throw new Error(`the PyTorch peer exited with ${r.code}`);
  return JSON.parse(await Deno.readTextFile(result));
}

/** Runs the suite and returns its report (no files written). */
export async function runSuite(o: SuiteOptions): Promise<SuiteReport> {
  const log = o.log ?? console.error;
  const backend = await initBackend(o.backend as "wasm");
  const machine = await measureMachine(o.smoke);
  log(
    `${backend}: GEMM ${machine.gemmGflops.toFixed(1)} GFLOP/s, bandwidth ${
      machine.bandwidthGBs.toFixed(1)
    } GB/s, launch ${(machine.launchMs * 1000).toFixed(1)} µs`,
  );
  const tmp = await Deno.makeTempDir({ prefix: "fast-ntk-suite-" });
  const cells: SuiteCell[] = [];
  const dirs = new Map<string, string>();
  const jobs: Record<string, unknown>[] = [];
  try {
    for (const make of suite(o.smoke)) {
      const w = make();
      try {
        if (o.only && !o.only.some((s) => w.id.includes(s))) continue;
        if (o.except?.some((s) => w.id.includes(s))) continue;
        const dir = `${tmp}/${w.id.replace(/[^a-zA-Z0-9]+/g, "_")}`;
        await writePeerFiles(w, dir);
        dirs.set(w.id, dir);
        cells.push(await measureCell(w, o, machine, dir));
        jobs.push({ id: w.id, kind: w.kind, dir, N: w.N, O: w.O });
        await o.onCell?.(cells);
      } finally {
        w.dispose();
      }
    }
    let torch: SuiteReport["torch"];
    if (o.torch && jobs.length) {
      const peer = await runPeer(o, tmp, jobs);
      torch = {
        version: peer.torch,
        threads: peer.threads,
        blas: peer.blas,
        blasLibrary: peer.blas_library,
        matmulGflops: peer.matmul_gflops,
      };
      for (const cell of cells) {
        const t = peer.cells[cell.id];
        if (!t) continue;
        const { kernel, ...rest } = t;
        cell.torch = rest;
        if (!kernel) continue;
        const ref = await readNpy(kernel);
        for (const m of SUITE_METHODS) {
          const r = cell.results[m];
          if (r?.median !== undefined) r.agreement = await relDiff(`${dirs.get(cell.id)}/ours_${m}.npy`, ref);
        }
        ref.dispose();
      }
    }
    const load = await Deno.readTextFile("/proc/loadavg").catch(() => undefined);
    return {
      date: new Date().toISOString().slice(0, 10),
      backend,
      smoke: o.smoke,
      machine: {
        ...machine,
        cores: navigator.hardwareConcurrency,
        os: `${Deno.build.os} ${Deno.build.arch}`,
        loadAverage: load?.split(" ").slice(0, 3).join(" "),
        note: "shared machine: other processes ran beside the suite (see loadAverage)",
      },
      torch,
      reps: o.reps,
      onceS: o.onceS,
      cells,
    };
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

const ms = (x?: number) =>
  x === undefined
    ? "—"
    : x >= 10000
    ? `${(x / 1000).toFixed(1)} s`
    : x >= 100
    ? `${x.toFixed(0)} ms`
    : `${x.toFixed(1)} ms`;

function methodCell(r?: MethodResult): string {
  if (!r) return "—";
  if (r.error) return `error (${r.error.split(":")[0]})`;
  if (r.skipped) return "skipped";
  return `${ms(r.median)}${r.note ? " (once)" : ""}`;
}

/** The markdown table: cells × [auto, each method, PyTorch, ratio, bound, time/bound, overhead, counted/hooked, agreement]. */
export function markdownTable(rep: SuiteReport): string {
  const lines = [
    "| cell | fast-ntk auto | jacobian | ntkvp | structured | PyTorch | ratio | roofline bound | time/bound | overhead | counted/hooked FLOPs | agreement (max over methods) |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const c of rep.cells) {
    const auto = c.results.auto;
    const tm = c.torch?.median;
    const ran = SUITE_METHODS.map((m) => c.results[m]).filter((r) => r?.median !== undefined) as MethodResult[];
    const agree = ran.map((r) => r.agreement ?? NaN);
    const worst = agree.length && agree.every(Number.isFinite) ? Math.max(...agree) : undefined;
    const torch = c.torch?.skipped
      ? "skipped"
      : c.torch?.error
      ? "error"
      : `${ms(tm)}${c.torch?.note ? " (once)" : ""}`;
    lines.push(
      `| ${c.id} | ${auto?.median !== undefined ? `${methodCell(auto)} (${auto.ran})` : methodCell(auto)} | ${
        methodCell(c.results.jacobian)
      } | ${methodCell(c.results.ntkvp)} | ${methodCell(c.results.structured)} | ${torch} | ${
        tm && auto?.median ? `${(tm / auto.median).toFixed(2)}×` : "—"
      } | ${ms(c.roofline.boundMs)} (${c.roofline.cheapest}) | ${
        auto?.median ? (auto.median / c.roofline.boundMs).toFixed(1) : "—"
      } | ${auto?.overheadMs !== undefined ? ms(auto.overheadMs) : "—"} | ${
        ran.map((r) => `${r.ran} ${r.countedOverHooked?.toFixed(2) ?? "—"}`).filter((s, i, a) => a.indexOf(s) === i)
          .join(", ")
      } | ${worst !== undefined ? worst.toExponential(1) : "—"} |`,
    );
  }
  return lines.join("\n");
}

/** A bar chart (log time) per cell: fast-ntk auto, its fastest method, PyTorch and the bound. */
export function suiteSvg(rep: SuiteReport): string {
  const rows = rep.cells.map((c) => {
    const ran = SUITE_METHODS.slice(1).map((m) => c.results[m]?.median).filter((x) => x !== undefined) as number[];
    return {
      id: c.id,
      bars: [
        ["fast-ntk auto", c.results.auto?.median, "#2ca02c"],
        ["fastest method", ran.length ? Math.min(...ran) : undefined, "#98df8a"],
        ["PyTorch", c.torch?.median, "#d62728"],
        ["roofline bound", c.roofline.boundMs, "#7f7f7f"],
      ] as [string, number | undefined, string][],
    };
  });
  const all = rows.flatMap((r) => r.bars.map((b) => b[1]).filter((x) => x !== undefined && x > 0)) as number[];
  const lo = Math.log10(Math.min(...all) / 2), hi = Math.log10(Math.max(...all) * 2);
  const left = 300, width = 520, bar = 9, gap = 14, top = 40;
  const x = (v: number) => left + (width * (Math.log10(v) - lo)) / (hi - lo);
  const h = top + rows.length * (4 * bar + gap) + 40;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${
      left + width + 40
    }" height="${h}" font-family="sans-serif" font-size="11">`,
    `<text x="10" y="18" font-size="13">fast-ntk suite on ${rep.backend} (${rep.date}${
      rep.smoke ? ", smoke size" : ""
    }): traced NTK, time (log scale)${rep.torch ? `, PyTorch ${rep.torch.version}` : ""}</text>`,
  ];
  for (let d = Math.ceil(lo); d <= Math.floor(hi); d++) {
    const v = 10 ** d;
    parts.push(`<line x1="${x(v)}" x2="${x(v)}" y1="${top - 6}" y2="${h - 30}" stroke="#ddd"/>`);
    parts.push(`<text x="${x(v)}" y="${h - 16}" text-anchor="middle">${ms(v)}</text>`);
  }
  rows.forEach((r, i) => {
    const y0 = top + i * (4 * bar + gap);
    parts.push(`<text x="${left - 8}" y="${y0 + 2 * bar + 4}" text-anchor="end">${r.id}</text>`);
    r.bars.forEach(([label, v, colour], j) => {
      if (v === undefined || v <= 0) return;
      parts.push(
        `<rect x="${left}" y="${y0 + j * bar}" width="${Math.max(1, x(v) - left)}" height="${
          bar - 1
        }" fill="${colour}"><title>${label}: ${ms(v)}</title></rect>`,
      );
    });
  });
  const legend = [["fast-ntk auto", "#2ca02c"], ["fastest method", "#98df8a"], ["PyTorch", "#d62728"], [
    "roofline bound",
    "#7f7f7f",
  ]];
  legend.forEach(([l, c], j) => {
    parts.push(`<rect x="${left + j * 130}" y="24" width="10" height="8" fill="${c}"/>`);
    parts.push(`<text x="${left + j * 130 + 14}" y="32">${l}</text>`);
  });
  parts.push("</svg>");
  return parts.join("\n");
}

/** The report's header lines: machine, backend and peer. */
export function headerLines(rep: SuiteReport): string[] {
  const m = rep.machine;
  return [
    `backend ${rep.backend} · ${m.cores} cores (${m.os}) · GEMM ${m.gemmGflops.toFixed(1)} GFLOP/s · bandwidth ${
      m.bandwidthGBs.toFixed(1)
    } GB/s · launch ${(m.launchMs * 1000).toFixed(1)} µs · load average ${m.loadAverage} (${m.note})`,
    rep.torch
      ? `PyTorch ${rep.torch.version}, ${rep.torch.threads} threads, ${rep.torch.blas} (libblas.so.3 → ${rep.torch.blasLibrary}), matmul ${
        rep.torch.matmulGflops.toFixed(1)
      } GFLOP/s; vmap(jacrev) per-example Jacobians contracted, traced (mean over logits)`
      : "PyTorch not run",
    `times: medians of ${rep.reps} runs after a warm-up, a warm-up over ${rep.onceS} s the only run ("once"); overhead = median − summed kernel time of a hot run under tf.profile; counted/hooked = info.flops ÷ FLOPs of the profiled kernels by shape`,
  ];
}

if (import.meta.main) {
  const { values: a } = parseArgs({
    options: {
      smoke: { type: "boolean", default: false },
      backend: { type: "string", default: "wasm" },
      "no-torch": { type: "boolean", default: false },
      python: { type: "string", default: "/usr/bin/python3" },
      reps: { type: "string" },
      "once-s": { type: "string" },
      "budget-s": { type: "string", default: "300" },
      "peer-budget-s": { type: "string", default: "900" },
      only: { type: "string" },
      except: { type: "string" },
      methods: { type: "string" },
      tag: { type: "string", default: "" },
      merge: { type: "string" },
      "peer-lib": { type: "string" },
      "no-profile": { type: "boolean", default: false },
    },
  });
  const list = (x?: string) => x?.split(",").map((s) => s.trim()).filter(Boolean);
  const out = new URL("../results/", import.meta.url).pathname;
  await Deno.mkdir(out, { recursive: true });
  let rep: SuiteReport;
  if (a.merge) {
    // Reports of runs over disjoint cells, as one (the first's machine and peer; each run's load noted).
    const reps = await Promise.all(
      list(a.merge)!.map(async (f) => JSON.parse(await Deno.readTextFile(f)) as SuiteReport),
    );
    // A cell measured in several runs: the later run's (a rerun of a cell skipped earlier).
    const byId = new Map(reps.flatMap((r) => r.cells).map((c) => [c.id, c]));
    rep = { ...reps[0], cells: [...byId.values()] };
    rep.machine.note = `shared machine, ${reps.length} runs merged: ${
      reps.map((r) => `GEMM ${r.machine.gemmGflops.toFixed(1)} GFLOP/s, load ${r.machine.loadAverage}`).join("; ")
    }`;
  } else {
    const partial = `${out}suite-partial${a.tag ? `-${a.tag}` : ""}.json`;
    rep = await runSuite({
      smoke: a.smoke!,
      backend: a.backend!,
      torch: !a["no-torch"],
      python: a.python!,
      reps: Number(a.reps ?? 5),
      onceS: Number(a["once-s"] ?? (a.smoke ? 0 : 120)),
      budgetS: Number(a["budget-s"]),
      peerBudgetS: Number(a["peer-budget-s"]),
      only: list(a.only),
      except: list(a.except),
      methods: list(a.methods) as SuiteMethod[] | undefined,
      peerLib: a["peer-lib"],
      noProfile: a["no-profile"],
      onCell: (cells) => Deno.writeTextFile(partial, JSON.stringify(cells, null, 1)),
    });
    await Deno.remove(partial).catch(() => {});
  }
  const base = `${out}suite-${rep.backend}-${rep.date}${rep.smoke ? "-smoke" : ""}${a.tag ? `-${a.tag}` : ""}`;
  const md = [...headerLines(rep).map((l) => `${l}  `), "", markdownTable(rep), ""].join("\n");
  await Deno.writeTextFile(`${base}.json`, JSON.stringify(rep, null, 1));
  await Deno.writeTextFile(`${base}.svg`, suiteSvg(rep));
  await Deno.writeTextFile(`${base}.md`, md);
  console.log(md);
  console.log(`wrote ${base}.json, .svg and .md`);
}
