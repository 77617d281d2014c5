/**
 * The cost model behind AUTO and batching: FLOP and memory estimates of each method from a
 * linearization's own numbers (the paper's Table 2 with this program's sizes), turned into
 * time by the backend's throughput and per-kernel latency, measured once per process.
 * @module
 */
import { operandShape } from "../core/ir.ts";
import * as tf from "@tensorflow/tfjs";
import type { LinearProgram } from "../core/ir.ts";
import { inferExampleAxes } from "./example_axes.ts";
import type { Layout } from "../core/layout.ts";
import { ruleFor } from "../../rules/mod.ts";
import { numel } from "../core/axes.ts";
import { keptAxes } from "../core/structure.ts";
import { analyzeUses } from "./_uses.ts";
import { readCached, writeCached } from "../core/user_cache.ts";

export type Priced = "jacobian" | "ntkvp" | "structured";
export const PRICED: readonly Priced[] = ["jacobian", "ntkvp", "structured"];

/** Per-row sizes of a linearization: what every estimate scales. */
export interface ProgramProfile {
  rows: number;
  /** Entries of one row's output (O). */
  outPerRow: number;
  /** FLOPs of one JVP over the whole batch (one tangent). */
  passFlops: number;
  /** Equations (≈ kernels launched per pass). */
  eqns: number;
  params: number;
  paramSizes: number[];
  /** Largest var or rule's temporary (im2col patches), per row (entries). */
  maxVarPerRow: number;
  /**
   * Structured uses: per use, its parameter, y's entries per row, J̃'s parameter-side entries,
   * J̃ per row.
   */
  uses: { param: string; yPerRow: number; wCore: number; jtPerRow: number }[];
  /** Parameters structured derivatives leaves dense (their sizes). */
  denseParams: number[];
  /** Whether the rows stay apart through the program. */
  tracked: boolean;
  /**
   * Bytes the linearization itself holds while every method runs (the residuals: activations,
   * masks, patches' inputs), per row for those with the rows' leading axis, and the rest.
   */
  heldPerRow: number;
  heldFixed: number;
}

/** Measures a linearization once (no tensor work). */
export function profileProgram(p: LinearProgram): ProgramProfile {
  const rows = inferExampleAxes(p);
  const r = Math.max(1, rows.count);
  const uses = analyzeUses(p, rows);
  const useList = [...uses.uses.values()].flat().map((u) => {
    const e = p.eqns[u.eqn];
    const rule = ruleFor(e);
    const s = rule.structure!(e, u.slot);
    const w = operandShape(e, u.slot);
    const kept = keptAxes(s, e.out.shape.length, w.length);
    const jt = numel([...kept.y.map((a) => e.out.shape[a]), ...kept.w.map((b) => w[b])]);
    return {
      param: u.param,
      yPerRow: numel(e.out.shape) / r,
      wCore: Math.max(1, numel(kept.w.map((b) => w[b]))),
      jtPerRow: jt / r,
    };
  });
  const sizes = [...p.params.values()].map((v) => numel(v.shape));
  let heldRows = 0, heldFixed = 0;
  for (const t of p.owned) {
    if (t.shape[0] === rows.count && rows.count > 0) heldRows += 4 * t.size;
    else heldFixed += 4 * t.size;
  }
  return {
    rows: r,
    outPerRow: numel(p.output.shape.slice(1)),
    passFlops: p.eqns.reduce((a, e) => a + ruleFor(e).flops(e, 1), 0),
    eqns: p.eqns.length,
    params: sizes.reduce((a, b) => a + b, 0),
    paramSizes: sizes,
    maxVarPerRow: p.eqns.reduce((m, e) => Math.max(m, numel(e.out.shape) / r, (ruleFor(e).scratch?.(e) ?? 0) / r), 0),
    uses: useList,
    denseParams: [...uses.dense.keys()].map((n) => numel(p.params.get(n)!.shape)),
    tracked: rows.lost.length === 0,
    heldPerRow: heldRows / r,
    heldFixed,
  };
}

export interface Estimate {
  flops: number;
  /** Peak bytes of what the method holds at once. */
  bytes: number;
  /** Bytes of its largest single tensor (WebGPU cannot bind buffers above a limit). */
  largest: number;
  /** Bytes moved by transposes and copies (memory-bound work beside the FLOPs). */
  moved: number;
  /** Kernel launches, roughly. */
  ops: number;
}

/**
 * Basis vectors per NTK-vector-product chunk: each vector carries a parameter cotangent, a row
 * of the result and, while its passes run, a tangent of every intermediate — `perVector` floats
 * in all, the largest single one `largestPerVector` — so a chunk is what both the budget and the
 * largest-tensor limit hold (at least one vector).
 */
export function ntkvpChunk(
  basis: number,
  perVector: number,
  largestPerVector: number,
  memoryBudget: number,
  maxTensorBytes = Infinity,
): number {
  const byBudget = memoryBudget / (4 * Math.max(1, perVector));
  const byTensor = maxTensorBytes / (4 * Math.max(1, largestPerVector));
  return Math.max(1, Math.min(basis, Math.floor(Math.min(byBudget, byTensor))));
}

/** The share of O² kept by the layout (a traced output axis keeps O, not O²). */
function outputPairs(o: number, layout: Layout, outShape: number[]): number {
  const traced = layout.trace.filter((a) => a > 0).reduce((q, a) => q * outShape[a], 1);
  return (o * o) / traced;
}

/**
 * FLOPs, memory and launches of each method for rows n1 (x1) and n2 (x2), from the profile of a
 * linearization over `prof.rows` rows.
 */
export function estimate(
  prof: ProgramProfile,
  n1: number,
  n2: number,
  layout: Layout,
  outShape: number[],
  memoryBudget: number,
  maxTensorBytes = Infinity,
): Record<Priced, Estimate> {
  const fpRow = prof.passFlops / prof.rows; // one tangent through one row
  const o = prof.outPerRow;
  const pairs = outputPairs(o, layout, outShape);
  const maxP = Math.max(1, ...prof.paramSizes);
  // Jacobian contraction: O VJPs per row on each side (a VJP costs what a JVP does; per-row
  // transposes split one pass by example), then N1·N2·O²·P. Counted against the run's own
  // count: the transformer and RNN of the suite overestimated 1.64× with a second pass here.
  const jcReverse = o * (n1 + n2) * fpRow;
  const jacobian: Estimate = {
    flops: jcReverse + 2 * n1 * n2 * pairs * prof.params,
    bytes: 4 * (3 * o * Math.max(n1, n2) * maxP + 2 * o * (n1 + n2) * prof.maxVarPerRow + n1 * n2 * o * o),
    largest: 4 * Math.max(o * Math.max(n1, n2) * Math.max(maxP, prof.maxVarPerRow), n1 * n2 * o * o),
    // Each per-row Jacobian is written, transposed for the matMul, and read: about three passes.
    moved: 4 * 3 * o * (n1 + n2) * prof.params,
    ops: 2 * 4 * prof.eqns + 6 * prof.paramSizes.length,
  };
  // NTK-vector products: N2·O VJPs over the x2 batch, then as many JVPs over the x1 batch.
  const basis = n2 * o;
  const chunk = ntkvpChunk(
    basis,
    prof.params + n1 * o + 2 * Math.max(n1, n2) * prof.maxVarPerRow,
    Math.max(maxP, Math.max(n1, n2) * prof.maxVarPerRow),
    memoryBudget,
    maxTensorBytes,
  );
  const ntkvp: Estimate = {
    flops: basis * (n2 + n1) * fpRow,
    // An equation's input and output tangents are alive together: two intermediates per vector.
    bytes: 4 * (chunk * (prof.params + n1 * o) + 2 * chunk * Math.max(n1, n2) * prof.maxVarPerRow + n1 * n2 * o * o),
    largest: 4 * Math.max(chunk * Math.max(maxP, Math.max(n1, n2) * prof.maxVarPerRow), n1 * n2 * o * o),
    // Parameter directions [basis, …W] are built, permuted for each matMul, and read back.
    moved: 4 * 4 * basis * prof.params,
    ops: Math.ceil(basis / chunk) * 2 * 3 * prof.eqns,
  };
  // Structured derivatives: the reverse pass, then a term per pair of uses of a parameter (one
  // use on each side: k uses make k² terms — shared weights, RNN steps), each about df·df over y
  // plus the data Gram over the parameter's core, for every row pair.
  let pairCost = 0, pairTerms = 0;
  for (const u of prof.uses) {
    for (const v of prof.uses) {
      if (u.param !== v.param) continue;
      pairCost += 2 * n1 * n2 * (pairs * (u.yPerRow + v.yPerRow) / 2 + u.wCore);
      pairTerms++;
    }
  }
  const dense = prof.denseParams.reduce((a, s) => a + 2 * n1 * n2 * pairs * s, 0);
  const structured: Estimate = {
    flops: jcReverse + pairCost + dense,
    bytes: 4 *
      (o * (n1 + n2) * prof.uses.reduce((a, u) => a + u.yPerRow, 0) / Math.max(1, Math.sqrt(prof.uses.length)) +
        2 * o * Math.max(n1, n2) * prof.maxVarPerRow + n1 * n2 * o * o +
        3 * o * Math.max(n1, n2) * Math.max(0, ...prof.denseParams) +
        2 * Math.max(n1, n2) * Math.max(0, ...prof.uses.map((u) => u.jtPerRow))),
    largest: 4 * Math.max(
      o * Math.max(n1, n2) * Math.max(prof.maxVarPerRow, Math.max(0, ...prof.denseParams)),
      Math.max(n1, n2) * Math.max(0, ...prof.uses.map((u) => u.jtPerRow)),
      n1 * n2 * Math.max(o * o, ...prof.uses.map((u) => u.wCore)),
    ),
    moved: 4 * 3 * o * (n1 + n2) * prof.uses.reduce((a, u) => a + u.yPerRow, 0) +
      4 * 3 * o * (n1 + n2) * prof.denseParams.reduce((a, s) => a + s, 0),
    // A pair term runs ~18 kernels (reshapes, per-side transposes, the contraction): 15,372 kernels
    // for the suite's RNN, whose 768 terms (16 uses of each weight, squared) cost it more than its FLOPs.
    ops: 2 * 4 * prof.eqns + 18 * pairTerms,
  };
  // Each side's linearization is alive throughout (x1's and x2's).
  const held = prof.heldPerRow * (n1 + n2) + prof.heldFixed;
  for (const e of [jacobian, ntkvp, structured]) e.bytes += held;
  return { jacobian, ntkvp, structured };
}

/** A backend's speed: dense matMul throughput, memory bandwidth, and one kernel launch's cost. */
export interface Throughput {
  gflops: number;
  /** GB/s of a large transpose (strided copies: the memory-bound part of every method). */
  bandwidth: number;
  launchMs: number;
}

/**
 * Speeds measured on the project's reference machine (2 cores, tfjs 4.22), used until this
 * machine's own are measured: measuring costs 0.1–0.4 s, more than many whole NTK calls. No
 * default for webgpu: GPUs differ by orders of magnitude, so it is measured on first use.
 */
const SHIPPED: Readonly<Record<string, Throughput>> = {
  wasm: { gflops: 20, bandwidth: 0.46, launchMs: 0.01 },
  cpu: { gflops: 1.3, bandwidth: 0.3, launchMs: 0.008 },
};

/** This process's measurements, by backend. */
const measured = new Map<string, Throughput>();
/** What `throughput` answers with, by backend: measured, cached, or shipped. */
const known = new Map<string, Throughput>();

const cacheName = (backend: string) => `throughput-${backend}.json`;

function isThroughput(t: unknown): t is Throughput {
  const ok = (v: unknown) => typeof v === "number" && Number.isFinite(v) && v > 0;
  const r = t as Record<string, unknown> | null;
  return r !== null && typeof r === "object" && ok(r.gflops) && ok(r.bandwidth) && ok(r.launchMs);
}

/**
 * The current backend's speed, at no cost a user can notice: this process's measurement, else
 * the one kept in Deno's cache directory, else the shipped default (an unknown backend is
 * measured at once). `refineThroughput` replaces a default by a measurement.
 */
export async function throughput(): Promise<Throughput> {
  const backend = tf.getBackend();
  const have = known.get(backend);
  if (have) return have;
  const cached = readCached(cacheName(backend));
  const t = isThroughput(cached) ? cached : SHIPPED[backend];
  if (!t) return await measureThroughput();
  known.set(backend, t);
  return t;
}

/** Whether this process has measured the current backend's speed. */
export function throughputMeasured(): boolean {
  return measured.has(tf.getBackend());
}

/**
 * Measures the current backend's speed (0.3–0.4 s), uses it for the rest of the process, and
 * keeps it in Deno's cache directory when writing there is already permitted.
 */
export async function measureThroughput(): Promise<Throughput> {
  const backend = tf.getBackend();
  const cached = readCached(cacheName(backend));
  // The machine's speed is its best: a measurement taken while other work ran (transposes at a
  // tenth of their speed under a load of 15) must not steer every later choice.
  const t = bestOf(await measure(), isThroughput(cached) ? cached : null);
  measured.set(backend, t);
  known.set(backend, t);
  writeCached(cacheName(backend), t);
  return t;
}

/** Each figure at its best of two measurements. */
export function bestOf(a: Throughput, b: Throughput | null): Throughput {
  if (!b) return a;
  return {
    gflops: Math.max(a.gflops, b.gflops),
    bandwidth: Math.max(a.bandwidth, b.bandwidth),
    launchMs: Math.min(a.launchMs, b.launchMs),
  };
}

/** matMul GFLOP/s, transpose bandwidth and per-kernel latency on the current backend. */
async function measure(): Promise<Throughput> {
  const n = 256;
  const [a, b] = [tf.randomNormal([n, n]), tf.randomNormal([n, n])];
  const time = async (fn: () => tf.Tensor, reps: number) => {
    let best = Infinity;
    for (let r = 0; r < reps; r++) {
      const t0 = performance.now();
      const y = fn();
      await y.data();
      best = Math.min(best, performance.now() - t0);
      y.dispose();
    }
    return best;
  };
  await time(() => tf.matMul(a, b), 1); // warm up (shader compilation on webgpu)
  const mm = await time(() => tf.matMul(a, b), 3);
  const big = tf.randomNormal([512, 2048]);
  await time(() => tf.transpose(big), 1);
  const tr = await time(() => tf.transpose(big), 3);
  big.dispose();
  const small = tf.ones([4]);
  await time(() => tf.add(small, small), 1);
  const chain = await time(() => {
    let t = tf.add(small, small);
    for (let i = 0; i < 30; i++) {
      const next = tf.add(t, small);
      t.dispose();
      t = next;
    }
    return t;
  }, 2);
  tf.dispose([a, b, small]);
  return {
    gflops: (2 * n * n * n) / (mm * 1e6),
    bandwidth: (2 * 4 * 512 * 2048) / (tr * 1e6),
    launchMs: chain / 31,
  };
}

/**
 * Estimated milliseconds of an estimate at a throughput. The methods' contractions reach about
 * half of a square matMul's rate (measured on wasm and cpu; the rest is reshapes and launches).
 */
export function millis(e: Estimate, t: Throughput): number {
  return e.flops / (0.5 * t.gflops * 1e6) + e.moved / (t.bandwidth * 1e6) + e.ops * t.launchMs;
}
