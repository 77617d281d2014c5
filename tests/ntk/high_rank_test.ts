// Regression (issue 11, bug 3): kernels of rank ≥ 7 (an output of rank 4 with traceAxes: [])
// came out wrong on wasm for every method and for the NNGP (tfjs-wasm's binary ops and pad are
// wrong above rank 6; tfjs-webgpu throws there). Every method, the NNGP and blocked (assembled)
// kernels are compared with J1·J2ᵀ from explicit tf.grads Jacobians on cpu (tests/_ref.ts),
// 1e-4 relative (1e-3 on webgpu); the NNGP's oracle is the same Jacobian of q·f(x) in a scalar
// parameter q = 1, which is f(x).
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import "../../src/core/backend.ts";
import { empiricalKernelFn, empiricalNngpFn, empiricalNtkFn } from "../../mod.ts";
import { onCpu, referenceNtk, relError } from "../_ref.ts";
import { randn } from "../_data.ts";
import { NATIVE_IF_PRESENT } from "../_native.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const METHODS = ["jacobian", "ntkvp", "structured", "auto"] as const;
const BACKENDS = ["cpu", ...NATIVE_IF_PRESENT, "wasm", "webgpu"];
const tolOn = (backend: string) => (backend === "webgpu" ? 1e-3 : 1e-4);

const f = (p: Record<string, tf.Tensor>, x: tf.Tensor | tf.Tensor[]) => tf.mul(x as tf.Tensor, p.w);

interface Case {
  name: string;
  /** Per-example shape (x is [n, ...e], w is e). */
  e: number[];
  traceAxes: number[];
  diagonalAxes: number[];
  /** Kernel rank the case reaches. */
  rank: number;
  blockSize?: number;
  /** x2 = null (the kernel of x1 with itself; blocks mirror). */
  self?: boolean;
}

const CASES: Case[] = [
  { name: "traceAxes: [] (the issue's rank 8)", e: [2, 2, 2], traceAxes: [], diagonalAxes: [], rank: 8 },
  { name: "diagonalAxes: [1] (the issue's rank 7)", e: [2, 2, 2], traceAxes: [], diagonalAxes: [1], rank: 7 },
  // Above tfjs-webgpu's 1000-entry CPU hand-off, so its shaders really run.
  { name: "traceAxes: [], 6561 entries", e: [3, 3, 3], traceAxes: [], diagonalAxes: [], rank: 8 },
  // Blocks of one example, assembled (mirrored blocks transposed, diagonal blocks concatenated).
  {
    name: "traceAxes: [], blocks of 1, x2 = null",
    e: [2, 2, 2],
    traceAxes: [],
    diagonalAxes: [],
    rank: 8,
    blockSize: 1,
    self: true,
  },
  {
    name: "diagonalAxes: [0, 2], blocks of 1",
    e: [2, 2, 2],
    traceAxes: [],
    diagonalAxes: [0, 2],
    rank: 6,
    blockSize: 1,
    self: true,
  },
  {
    name: "traceAxes: [0], blocks of 1",
    e: [2, 2, 2],
    traceAxes: [0],
    diagonalAxes: [],
    rank: 6,
    blockSize: 1,
    self: true,
  },
  { name: "output of rank 5, traceAxes: [] (rank 10)", e: [2, 2, 1, 2], traceAxes: [], diagonalAxes: [], rank: 10 },
];

const data = (c: Case) => ({
  w: () => randn(c.e, 1),
  x1: () => randn([3, ...c.e], 2),
  x2: () => (c.self ? null : randn([2, ...c.e], 3)),
});

for (const backend of BACKENDS) {
  for (const c of CASES) {
    Deno.test({
      name: `high-rank regression (issue 11.3): ${c.name}, every method matches J1·J2ᵀ on ${backend}`,
      ...opts,
      fn: async () => {
        const d = data(c);
        await tf.setBackend(backend);
        const ref = await onCpu(() => {
          const [w, x1, x2] = [d.w(), d.x1(), d.x2()];
          const r = referenceNtk(f, { w }, x1, x2, c.traceAxes, c.diagonalAxes);
          tf.dispose([w, x1, ...(x2 ? [x2] : [])]);
          return r;
        });
        assert.equal(ref.shape.length, c.rank);
        const [w, x1, x2] = [d.w(), d.x1(), d.x2()];
        for (const method of METHODS) {
          const ntk = empiricalNtkFn(f, {
            method,
            traceAxes: c.traceAxes,
            diagonalAxes: c.diagonalAxes,
            blockSize: c.blockSize,
          });
          const before = tf.memory().numTensors;
          const { kernel } = await ntk.run(x1, x2, { w });
          assert.equal(tf.memory().numTensors - before, 1, "only the kernel stays");
          assert.deepEqual(kernel.shape, ref.shape);
          const err = relError(await kernel.data(), ref.data);
          assert.ok(err <= tolOn(backend), `${method} on ${backend}: rel error ${err}`);
          kernel.dispose();
          ntk.dispose();
        }
        tf.dispose([w, x1, ...(x2 ? [x2] : [])]);
      },
    });
  }
}

/** The NNGP f(x1)·f(x2)ᵀ in the layout: the NTK of q·f(x) in a scalar parameter q = 1. */
function nngpReference(c: Case, d: ReturnType<typeof data>) {
  return onCpu(() => {
    const [w, x1, x2] = [d.w(), d.x1(), d.x2()];
    const g = (p: Record<string, tf.Tensor>, x: tf.Tensor | tf.Tensor[]) => tf.mul(p.q, f({ w }, x));
    const q = tf.scalar(1);
    const r = referenceNtk(g, { q }, x1, x2, c.traceAxes, c.diagonalAxes);
    tf.dispose([w, q, x1, ...(x2 ? [x2] : [])]);
    return r;
  });
}

for (const backend of BACKENDS) {
  for (const c of CASES.filter((c) => !c.blockSize)) {
    Deno.test({
      name: `high-rank regression (issue 11.3): NNGP with ${c.name} matches f(x1)·f(x2)ᵀ on ${backend}`,
      ...opts,
      fn: async () => {
        const d = data(c);
        await tf.setBackend(backend);
        const ref = await nngpReference(c, d);
        const [w, x1, x2] = [d.w(), d.x1(), d.x2()];
        const layout = { traceAxes: c.traceAxes, diagonalAxes: c.diagonalAxes };
        const before = tf.memory().numTensors;
        const nngp = await empiricalNngpFn(f, layout)(x1, x2, { w });
        // Both kernels at once (the NNGP from the outputs the NTK's trace kept).
        const kf = empiricalKernelFn(f, layout);
        const both = await kf(x1, x2, { w }, ["nngp", "ntk"]);
        kf.dispose();
        assert.equal(tf.memory().numTensors - before, 3, "only the kernels stay");
        for (const [what, k] of [["empiricalNngpFn", nngp], ["empiricalKernelFn", both.nngp!]] as const) {
          assert.deepEqual(k.shape, ref.shape);
          const v = await k.data();
          assert.ok(v.every(Number.isFinite), `${what}: non-finite entries`);
          const err = relError(v, ref.data);
          assert.ok(err <= tolOn(backend), `${what} on ${backend}: rel error ${err}`);
        }
        tf.dispose([nngp, both.nngp!, both.ntk!, w, x1, ...(x2 ? [x2] : [])]);
      },
    });
  }
}
