/**
 * A fuzzing run: fixed-seed programs from the grammar, every method on cpu against both oracles,
 * a share of them also on wasm and webgpu (backend parity), with a summary (op histogram,
 * programs per backend, failures by class). Used by the in-suite test and `deno task fuzz`.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import { initBackend } from "../../mod.ts";
import { buildProgram, OPS, type Program, programArb } from "./grammar.ts";
import type { NtkMethod } from "../../mod.ts";
import { type Backend, checkProgram, type Failure, gradOracle, histogram } from "./runner.ts";
import { shrink } from "./shrink.ts";

export interface RunOptions {
  seed: number;
  count: number;
  /** Every k-th program also runs on wasm and webgpu. */
  otherEvery: number;
  /** Backends besides cpu. */
  others: Backend[];
  /** Every k-th smooth program is also checked by central differences. */
  fdEvery: number;
  /** Shrink unexpected failures (one per class/method). */
  shrinkFailures: boolean;
  log?: (s: string) => void;
}

export interface Summary {
  programs: number;
  discarded: number;
  perBackend: Record<string, number>;
  kernelsChecked: number;
  fdPrograms: number;
  named: Record<string, number>;
  failuresByClass: Record<string, number>;
  knownByClass: Record<string, number>;
  failures: Failure[];
  shrunk: { cls: string; method: string; backend: string; message: string; code: string }[];
  parityMaxRel: Record<string, number>;
  /**
   * Programs where a backend's kernel differs from cpu's beyond tolerance while each equals its own
   * backend's tf.grads oracle: tfjs's backends differentiate differently there (a tie in a max at a
   * non-differentiable point picks a different subgradient), so no number of fast-ntk's is wrong.
   */
  parityTies: Record<string, number>;
  hist: ReturnType<typeof histogram>;
  ms: number;
}

/** Class, method and the message's start without numbers: a shrink must keep the same failure. */
export function signature(f: Failure): string {
  return `${f.cls}/${f.method}/${f.message.replace(/[-\d.e]+/g, "#").slice(0, 24)}`;
}

/**
 * Largest entry difference over the largest finite entry of `b` (or over `scaleFloor` if larger:
 * a kernel whose entries all lie below the oracle's rounding floor has no meaningful relative
 * error). Entries equal on both sides count as agreeing, the same infinity or NaN included
 * (Inf − Inf is NaN, and poisoned the long campaign's figure); a non-finite entry on one side
 * only is a disagreement (Infinity).
 */
export function relDiff(a: Float32Array, b: Float32Array, scaleFloor = 0): number {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) {
    const [x, y] = [a[i], b[i]];
    if (x === y || (Number.isNaN(x) && Number.isNaN(y))) {
      if (Number.isFinite(y)) den = Math.max(den, Math.abs(y));
      continue;
    }
    const d = Math.abs(x - y);
    if (!Number.isFinite(d)) return Infinity;
    num = Math.max(num, d);
    den = Math.max(den, Math.abs(y));
  }
  den = Math.max(den, scaleFloor);
  return den === 0 ? num : num / den;
}

/** Runs the programs; never throws for a failing program (the summary lists it). */
export async function runFuzz(o: RunOptions): Promise<Summary> {
  const t0 = performance.now();
  const log = o.log ?? (() => {});
  await initBackend("cpu");
  const specs = fc.sample(programArb, { seed: o.seed, numRuns: o.count });
  const progs: Program[] = [];
  let discarded = 0;
  for (const s of specs) {
    try {
      progs.push(buildProgram(s));
    } catch {
      discarded++;
    }
  }
  const sum: Summary = {
    programs: progs.length,
    discarded,
    perBackend: {},
    kernelsChecked: 0,
    fdPrograms: 0,
    named: {},
    failuresByClass: {},
    knownByClass: {},
    failures: [],
    shrunk: [],
    parityMaxRel: {},
    parityTies: {},
    hist: histogram(progs),
    ms: 0,
  };
  const shrunkKeys = new Set<string>();
  // WebGPU hands tensors under ~1000 elements to the CPU: run the shaders on these small programs.
  const handoff = "WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD";
  for (let i = 0; i < progs.length; i++) {
    const prog = progs[i];
    const backends: Backend[] = ["cpu", ...(i % o.otherEvery === 0 ? o.others : [])];
    let oracle;
    try {
      oracle = await gradOracle(prog);
    } catch { /* checkProgram reports it */ }
    const kernels: Record<string, Record<string, Float32Array>> = {};
    for (const backend of backends) {
      if (backend === "webgpu") tf.env().set(handoff, 0);
      let r;
      try {
        r = await checkProgram(prog, backend, { oracle, fd: backend === "cpu" && i % o.fdEvery === 0 });
      } finally {
        if (backend === "webgpu") tf.env().set(handoff, 1000);
        await tf.setBackend("cpu");
      }
      sum.perBackend[backend] = (sum.perBackend[backend] ?? 0) + 1;
      sum.kernelsChecked += r.checked;
      if (r.fd) sum.fdPrograms++;
      kernels[backend] = r.kernels;
      for (const [k, v] of Object.entries(r.named)) sum.named[k] = (sum.named[k] ?? 0) + v;
      for (const f of r.known) sum.knownByClass[f.cls] = (sum.knownByClass[f.cls] ?? 0) + 1;
      for (const f of r.failures) {
        sum.failuresByClass[f.cls] = (sum.failuresByClass[f.cls] ?? 0) + 1;
        sum.failures.push(f);
        log(
          `FAIL ${f.cls} ${f.method} on ${f.backend}: ${f.message.split("\n")[0]}\n${f.code}\nspec ${
            JSON.stringify(prog.spec)
          }`,
        );
        const key = `${f.cls}/${f.method}/${f.backend}`;
        if (o.shrinkFailures && !shrunkKeys.has(key)) {
          shrunkKeys.add(key);
          const small = await shrink(prog.spec, f.cls, async (q) => {
            if (f.backend === "webgpu") tf.env().set(handoff, 0);
            try {
              const rr = await checkProgram(q, f.backend, {
                methods: f.method === "oracle" ? [] : [f.method],
                fd: f.cls === "fd-disagrees",
              });
              const same = [...rr.failures, ...rr.known].find((x) =>
                x.method === f.method && signature(x) === signature(f)
              );
              return same ? f.cls : null;
            } finally {
              if (f.backend === "webgpu") tf.env().set(handoff, 1000);
              await tf.setBackend("cpu");
            }
          });
          sum.shrunk.push({ cls: f.cls, method: f.method, backend: f.backend, message: f.message, code: small.code });
          log(`SHRUNK ${key}:\n${small.code}\nspec ${JSON.stringify(small.spec)}`);
        }
      }
    }
    if (oracle) await checkParity(i, prog, oracle.absFloor, kernels, o.others, sum, log);
    if ((i + 1) % 100 === 0) log(`${i + 1}/${progs.length} programs, ${Math.round(performance.now() - t0)} ms`);
    if ((i + 1) % 1000 === 0 && i + 1 < progs.length) {
      const partial = { ...sum, programs: i + 1, hist: histogram(progs.slice(0, i + 1)), ms: performance.now() - t0 };
      log(`--- after ${i + 1} programs:\n${formatSummary(partial)}`);
    }
  }
  sum.ms = performance.now() - t0;
  return sum;
}

/**
 * Backend parity: each method's kernel on wasm/webgpu against cpu's, relative to max|K| or, if
 * larger, to the scale at which the oracle's rounding floor (each side's) is `tol` of it — a
 * kernel of rounding noise only (program 298 of seed 20261207: entries ~1e-17 where the
 * Jacobian's are ~1e-8) once read as a 0.375 disagreement. A disagreement is a failure ("parity"), unless the
 * backend's tf.grads oracle differs from cpu's by as much and the kernel equals its own backend's
 * oracle: then tfjs's backends disagree about the derivative itself (counted in parityTies).
 */
export async function checkParity(
  i: number,
  prog: Program,
  absFloor: number,
  kernels: Record<string, Record<string, Float32Array>>,
  others: Backend[],
  sum: Summary,
  log: (s: string) => void,
): Promise<void> {
  for (const b of others) {
    const tol = b === "webgpu" ? 1e-3 : 1e-4;
    let own: Float64Array | null | undefined; // b's own oracle, computed on the first disagreement
    for (const [m, k] of Object.entries(kernels[b] ?? {})) {
      const ref = kernels.cpu?.[m];
      if (!ref) continue;
      const scaleFloor = (2 * absFloor) / tol;
      const d = relDiff(k, ref, scaleFloor);
      if (d <= tol) {
        sum.parityMaxRel[b] = Math.max(sum.parityMaxRel[b] ?? 0, d);
        continue;
      }
      if (own === undefined) {
        if (b === "webgpu") tf.env().set("WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD", 0);
        try {
          own = (await gradOracle(prog, b)).data;
        } catch {
          own = null; // no oracle of its own there: the disagreement stands
        } finally {
          if (b === "webgpu") tf.env().set("WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD", 1000);
        }
      }
      const own32 = own && Float32Array.from(own);
      const tie = own32 !== null && relDiff(k, own32, scaleFloor) <= tol && relDiff(own32, ref, scaleFloor) > tol;
      if (tie) {
        sum.parityTies[b] = (sum.parityTies[b] ?? 0) + 1;
        log(`PARITY-TIE program ${i} ${m} on ${b}: ${d.toExponential(2)} (tfjs's own gradients differ there too)`);
        continue;
      }
      const f: Failure = {
        cls: "parity",
        backend: b,
        method: m as NtkMethod,
        message: `kernel differs from cpu's by ${d.toExponential(2)} (relative), beyond ${tol} + rounding floor`,
        code: prog.code,
      };
      sum.failuresByClass.parity = (sum.failuresByClass.parity ?? 0) + 1;
      sum.failures.push(f);
      log(`FAIL parity program ${i} ${m} on ${b}: ${f.message}\n${prog.code}\nspec ${JSON.stringify(prog.spec)}`);
    }
  }
}

/** The summary as text: programs per backend, op histogram, failures by class. */
export function formatSummary(s: Summary): string {
  const pct = (n: number) => `${((100 * n) / Math.max(1, s.programs)).toFixed(1)}%`;
  const lines = [
    `programs ${s.programs} (discarded at build: ${s.discarded}), ${(s.ms / 1000).toFixed(1)} s`,
    `per backend: ${
      JSON.stringify(s.perBackend)
    }; kernels checked ${s.kernelsChecked}; with finite differences ${s.fdPrograms} (${pct(s.fdPrograms)})`,
    `op histogram (share of programs):`,
    ...OPS.map((op) => `  ${op.padEnd(16)} ${String(s.hist.ops[op] ?? 0).padStart(6)}  ${pct(s.hist.ops[op] ?? 0)}`),
    `reuse or views of parameters ${pct(s.hist.viewsOrReuse)}; depths ${JSON.stringify(s.hist.depths)}`,
    `zero-size ${pct(s.hist.zeroSize)}, output rank ≥ 7 ${pct(s.hist.rank7)}, x2 null ${pct(s.hist.x2null)}, N1 ≠ N2 ${
      pct(s.hist.n1neN2)
    }, smooth ${pct(s.hist.smooth)}`,
    `named errors (documented limits): ${JSON.stringify(s.named)}`,
    `backend parity (max rel diff to cpu, over max(max|K|, rounding floor / tol)): ${
      JSON.stringify(s.parityMaxRel)
    }; ties (tfjs's own ${""}gradients differ between backends, fast-ntk equal to each): ${
      JSON.stringify(s.parityTies)
    }`,
    `known issue-11 bugs (KNOWN_BUGS): ${JSON.stringify(s.knownByClass)}`,
    `FAILURES by class: ${JSON.stringify(s.failuresByClass)}`,
  ];
  return lines.join("\n");
}
