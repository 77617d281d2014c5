/**
 * Soak: many consecutive calls of each public function (every method, traced and full; a layers
 * model and a plain function; the toolkit) on each backend. After each function's calls,
 * tf.memory().numTensors and numBytes are back to their start, the caller's tensors are neither
 * disposed nor changed; with `rss`, after a warm-up, resident memory and V8's live heap at the last
 * call are at most 2% above call 100 (a drop is memory handed back, not a leak) and (wasm) the
 * module's heap has not grown since call 100. Each resident-memory sample follows a full GC and glibc's
 * malloc_trim (Linux) and leaves out V8's committed but unused heap, so it counts memory in use rather
 * than free pages an allocator keeps.
 * `deno task soak [--calls 1000] [--warmup 1000] [--backends cpu,wasm,webgpu]` runs each case in a
 * process of its own, under `MALLOC_ARENA_MAX=2` (see deno.json's task: glibc's per-thread arenas
 * kept freed pages resident — RSS crept 2.5% over 7,000 calls of a case whose V8 heap and tensors
 * were flat, and stayed flat to 0.1% with two arenas).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import {
  empiricalKernelFn,
  empiricalNngpFn,
  empiricalNtkFn,
  empiricalNtkVpFn,
  fromLayersModel,
  linearize,
  METHOD_NAMES,
  ntkSpectrum,
  predictGradientDescentMse,
} from "../../mod.ts";
import { randn } from "../_data.ts";

type P = Record<string, tf.Tensor>;
const plainF = (p: P, x: tf.Tensor | tf.Tensor[]) =>
  tf.matMul(tf.tanh(tf.add(tf.matMul(x as tf.Tensor, p.w1), p.b1)), p.w2);

export interface SoakCase {
  name: string;
  /** One call; must dispose what it returns. */
  call: () => Promise<void>;
}

export interface SoakResult {
  name: string;
  backend: string;
  calls: number;
  tensorsDelta: number;
  bytesDelta: number;
  callerOk: boolean;
  /** Resident memory less V8's committed but unused heap (bytes), median of 6 samples. */
  rssAt100?: number;
  rssAtEnd?: number;
  /** V8's live heap after a full GC: JS objects kept alive by a leak show here first. */
  jsHeapAt100?: number;
  jsHeapAtEnd?: number;
  /** wasm only: the module's heap (it grows, never shrinks; flat after warm-up when nothing leaks). */
  heapAt100?: number;
  heapAtEnd?: number;
  ms: number;
}

function model(): tf.LayersModel {
  const m = tf.sequential();
  m.add(tf.layers.dense({ inputShape: [3], units: 8, activation: "relu", kernelInitializer: "glorotNormal" }));
  m.add(tf.layers.dense({ units: 2 }));
  return m;
}

/** The cases on the current backend, and the caller's tensors they use. */
export function soakCases(): { cases: SoakCase[]; caller: tf.Tensor[]; dispose: () => void } {
  const p: P = { w1: randn([3, 8], 1, 0.5), b1: randn([8], 2, 0.1), w2: randn([8, 2], 3, 0.5) };
  const x1 = randn([4, 3], 4), x2 = randn([3, 3], 5);
  const v = randn([3, 2], 6);
  const y = randn([4, 2], 7);
  const m = model();
  const lm = fromLayersModel(m);
  const cases: SoakCase[] = [];
  for (const [fname, f, params] of [["plain f", plainF, p], ["layers model", lm.f, lm.params]] as const) {
    for (const method of METHOD_NAMES) {
      for (const traceAxes of [[-1], []]) {
        const ntk = empiricalNtkFn(f, { method, traceAxes });
        cases.push({
          name: `empiricalNtkFn ${method} ${traceAxes.length ? "traced" : "full"} (${fname})`,
          call: async () => (await ntk(x1, x2, params)).dispose(),
        });
      }
    }
  }
  const vp = empiricalNtkVpFn(plainF);
  cases.push({ name: "empiricalNtkVpFn", call: async () => (await vp(x1, x2, p, v)).dispose() });
  const nngp = empiricalNngpFn(plainF, { traceAxes: [] });
  cases.push({ name: "empiricalNngpFn full", call: async () => (await nngp(x1, null, p)).dispose() });
  const both = empiricalKernelFn(plainF);
  cases.push({
    name: "empiricalKernelFn",
    call: async () => {
      const k = await both(x1, x2, p);
      tf.dispose([k.ntk, k.nngp]);
    },
  });
  const fLin = linearize(plainF, p);
  cases.push({ name: "linearize", call: () => Promise.resolve(tf.tidy(() => fLin(p, x1)).dispose()) });
  const ntkTrain = empiricalNtkFn(plainF);
  cases.push({
    name: "predictGradientDescentMse + ntkSpectrum",
    call: async () => {
      const k = await ntkTrain(x1, null, p);
      try {
        const predict = await predictGradientDescentMse(k, y, { diagReg: 1e-3 });
        const r = await predict([1, Infinity]);
        tf.dispose(Object.values(r).filter((t) => t instanceof tf.Tensor) as tf.Tensor[]);
        await ntkSpectrum(k);
      } finally {
        k.dispose();
      }
    },
  });
  return {
    cases,
    caller: [...Object.values(p), x1, x2, v, y, ...Object.values(lm.params)],
    dispose: () => {
      fLin.dispose();
      tf.dispose([...Object.values(p), x1, x2, v, y]);
      m.dispose();
    },
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

const gc = (globalThis as { gc?: () => void }).gc;

/**
 * glibc's malloc_trim(0), where glibc and the ffi permission are present: hands the free memory of
 * every malloc arena back to the system. tfjs's typed arrays live in malloc'd memory, freed by V8's
 * background sweeper threads into their own arenas; their free pages stay resident until trimmed and
 * made RSS creep 2–6% in cases whose live memory was flat. After trimming, RSS is memory in use plus
 * unreturnable fragmentation, so a leak still shows.
 */
const mallocTrim: (() => void) | undefined = (() => {
  if (Deno.build.os !== "linux" || Deno.permissions.querySync({ name: "ffi" }).state !== "granted") return undefined;
  for (const path of ["libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6", "/lib/aarch64-linux-gnu/libc.so.6"]) {
    try {
      const lib = Deno.dlopen(path, { malloc_trim: { parameters: ["usize"], result: "i32" } });
      return () => void lib.symbols.malloc_trim(0n);
    } catch { /* not glibc here: try the next name, else sample untrimmed */ }
  }
  return undefined;
})();

/** Bytes of the wasm module's heap (undefined off wasm). */
function wasmHeap(): number | undefined {
  // deno-lint-ignore no-explicit-any
  const b = tf.backend() as any;
  return b?.wasm?.HEAPU8?.buffer?.byteLength;
}

/** Runs every case `calls` times on `backend`. */
export async function soak(
  backend: string,
  calls: number,
  rss = false,
  onResult?: (r: SoakResult) => void,
  warmup = 1000,
  only?: string,
): Promise<SoakResult[]> {
  await tf.setBackend(backend);
  const { cases: all, caller, dispose } = soakCases();
  const cases = only === undefined ? all : all.filter((c) => c.name === only);
  if (only !== undefined && cases.length === 0) throw new Error(`no soak case named "${only}"`);
  const values = await Promise.all(caller.map((t) => t.data()));
  const out: SoakResult[] = [];
  try {
    // Process warm-up (JIT tiers, tfjs's kernel caches, V8 heap sizing, AUTO's one-off throughput
    // measurement): every case `warmup` times before any is measured. Measured on cpu: a fresh
    // case's RSS climbs ~2.5% over its first ~2,500 calls with the JIT and levels off, while under
    // --jitless it is flat (±0.3%) after 1,000 calls and V8's live heap is flat throughout —
    // compiled code, not a leak.
    if (rss) { for (const c of cases) for (let i = 0; i < warmup; i++) await c.call(); }
    for (const c of cases) {
      const t0 = performance.now();
      await c.call(); // warm-up: caches (cost model, kernels) made once per process
      const m0 = tf.memory();
      // Resident memory after a full GC moves by ±3% between single samples (pages handed back
      // or not): each end is the median of 6 samples, at calls 100…150 and the last 50.
      const early: { rss: number; js: number }[] = [], late: { rss: number; js: number }[] = [];
      let heapAt100: number | undefined;
      for (let i = 1; i <= calls; i++) {
        await c.call();
        const window = i >= 100 && i <= 150 && i % 10 === 0
          ? early
          : i >= calls - 50 && (calls - i) % 10 === 0
          ? late
          : null;
        if (rss && window) {
          gc?.();
          mallocTrim?.();
          const m = Deno.memoryUsage();
          // Less V8's committed but unused heap: V8 grows its heap's capacity with the allocation
          // rate (linearize's: 76 → 92 MB between calls 2,000 and 4,000, 25 MB of it used), which
          // moved RSS 8% with nothing kept; live JS objects still count (heapUsed), native memory too.
          window.push({ rss: m.rss - (m.heapTotal - m.heapUsed), js: m.heapUsed });
          if (i === 100) heapAt100 = wasmHeap();
        }
      }
      const m1 = tf.memory();
      const now = await Promise.all(caller.map((t) => (t.isDisposed ? null : t.data())));
      const callerOk = now.every((d, i) => d !== null && d.every((x, k) => Object.is(x, values[i][k])));
      out.push({
        name: c.name,
        backend,
        calls,
        tensorsDelta: m1.numTensors - m0.numTensors,
        bytesDelta: m1.numBytes - m0.numBytes,
        callerOk,
        ...(rss
          ? {
            rssAt100: median(early.map((m) => m.rss)),
            rssAtEnd: median(late.map((m) => m.rss)),
            heapAt100,
            heapAtEnd: wasmHeap(),
            jsHeapAt100: median(early.map((m) => m.js)),
            jsHeapAtEnd: median(late.map((m) => m.js)),
          }
          : {}),
        ms: performance.now() - t0,
      });
      onResult?.(out[out.length - 1]);
      if (!callerOk) break; // later cases would read disposed tensors
    }
  } finally {
    dispose();
  }
  return out;
}

/** A result as one line; ok when nothing is left behind and memory is flat (growth ≤ 2%). */
function verdict(b: string, r: SoakResult): { ok: boolean; line: string } {
  const drift = r.rssAt100 ? (r.rssAtEnd! - r.rssAt100) / r.rssAt100 : 0;
  const jsDrift = r.jsHeapAt100 ? (r.jsHeapAtEnd! - r.jsHeapAt100) / r.jsHeapAt100 : 0;
  const heapGrew = (r.heapAtEnd ?? 0) > (r.heapAt100 ?? 0);
  const ok = r.tensorsDelta === 0 && r.bytesDelta === 0 && r.callerOk && drift <= 0.02 && jsDrift <= 0.02 &&
    !heapGrew;
  const line = `${ok ? "ok  " : "FAIL"} ${b.padEnd(6)} ${
    r.name.padEnd(52)
  } tensors ${r.tensorsDelta} bytes ${r.bytesDelta} caller ${r.callerOk ? "ok" : "DISPOSED/CHANGED"} rss ${
    (100 * drift).toFixed(2)
  }% (${((r.rssAtEnd ?? 0) / 2 ** 20).toFixed(0)} MiB) js heap ${(100 * jsDrift).toFixed(2)}%${
    r.heapAtEnd !== undefined
      ? ` wasm heap ${heapGrew ? "GREW" : "flat"} (${(r.heapAtEnd / 2 ** 20).toFixed(0)} MiB)`
      : ""
  } ${(r.ms / 1000).toFixed(1)} s`;
  return { ok, line };
}

if (import.meta.main) {
  const { parseArgs } = await import("node:util");
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      calls: { type: "string", default: "1000" },
      warmup: { type: "string", default: "1000" },
      backends: { type: "string", default: "cpu,wasm,webgpu" },
      case: { type: "string" },
    },
  });
  const run = async (b: string, only?: string, onResult?: (r: SoakResult) => void) => {
    if (b === "webgpu") tf.env().set("WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD", 0);
    return await soak(b, Number(values.calls), true, onResult, Number(values.warmup), only);
  };
  if (values.case !== undefined) {
    // One case in this process (spawned by the loop below): its result as JSON on the last line.
    const [r] = await run(values.backends, values.case);
    console.log(JSON.stringify(r));
    Deno.exit(0);
  }
  // Each case in a process of its own: resident memory is the process's, and in one process a
  // case's baseline held what earlier cases had left to the allocator (drops of 10–30% when it
  // was handed back, and growth back to the process's level in the next case).
  let bad = 0;
  for (const b of values.backends.split(",")) {
    await tf.setBackend(b);
    const names = soakCases();
    names.dispose();
    for (const c of names.cases) {
      const args = ["run", "-A", "--v8-flags=--expose-gc", import.meta.filename!, "--backends", b, "--case", c.name];
      args.push("--calls", values.calls, "--warmup", values.warmup);
      const out = await new Deno.Command(Deno.execPath(), { args, stdout: "piped", stderr: "inherit" }).output();
      const last = new TextDecoder().decode(out.stdout).trim().split("\n").at(-1) ?? "";
      let r: SoakResult | null = null;
      try {
        r = out.success ? JSON.parse(last) : null;
      } catch { /* reported below */ }
      if (!r) {
        bad++;
        console.log(`FAIL ${b.padEnd(6)} ${c.name.padEnd(52)} the process failed (exit ${out.code})`);
        continue;
      }
      const v = verdict(b, r);
      if (!v.ok) bad++;
      console.log(v.line);
    }
  }
  Deno.exit(bad ? 1 : 0);
}
