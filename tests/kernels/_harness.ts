/**
 * The check every kernel linearization passes, on each backend:
 *  1. our VJP (the transpose of the linear program) equals tfjs's `tf.grads` computed on cpu;
 *  2. per-row VJPs (rows = output axis 0, the per-example reverse pass) equal tf.grads of each
 *     row's share of the cotangent;
 *  3. our JVP and VJP satisfy the adjoint identity ⟨J t, c⟩ = ⟨t, Jᵀ c⟩;
 *  4. no tensor leaks.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { traceLinear } from "../../adapters/trace.ts";
import { disposeProgram } from "../../src/core/linear_program.ts";
import { inferExampleAxes } from "../../src/ntk/example_axes.ts";
import { backward, forward } from "../../src/ntk/passes.ts";
import { randn } from "../_data.ts";
import { relError } from "../_ref.ts";

export type Params = Record<string, tf.Tensor>;

/** One way of exercising a kernel with differentiable float inputs. */
export interface KernelCase {
  /** The tfjs kernel under test: it must appear in the trace. */
  kernel: string;
  /** What this variant covers (broadcasting, an attr value…). */
  variant?: string;
  /** The inputs to differentiate, created on the current backend from fixed data. */
  params: () => Params;
  /** The function of the params that runs the kernel (may close over int tensors it creates). */
  fn: (p: Params) => tf.Tensor;
  /**
   * The same function written so that tfjs can differentiate it, for kernels whose tfjs gradient
   * is broken (e.g. BatchMatMul with broadcast batch axes). @default fn
   */
  reference?: (p: Params) => tf.Tensor;
  /** Backends to test on. @default ["cpu", "wasm", "webgpu"] */
  backends?: string[];
  /** Relative tolerance. @default 1e-4 (webgpu: 1e-3) */
  tol?: number;
  /** Skip the per-row check (output axis 0 is not a meaningful row axis). */
  noRows?: boolean;
  /** The kernel's derivative is zero: it must leave no tangent (the VJP is zero). */
  zero?: boolean;
}

async function values(ts: tf.Tensor[]): Promise<Float32Array[]> {
  return await Promise.all(ts.map(async (t) => (await t.data()) as Float32Array));
}

/** tf.grads on cpu: the full VJP and, per output row, the VJP of that row's cotangent. */
async function reference(c: KernelCase, names: string[], withRows: boolean) {
  const prev = tf.getBackend();
  await tf.setBackend("cpu");
  try {
    const p = c.params();
    const fn = c.reference ?? c.fn;
    const y = tf.tidy(() => fn(p));
    const ct = randn(y.shape, 7);
    const g = tf.grads((...ps: tf.Tensor[]) => fn(Object.fromEntries(names.map((n, i) => [n, ps[i]]))));
    // Clones: a tfjs gradient may return dy itself, and disposing it would dispose ct.
    const fullGrads = tf.tidy(() => g(names.map((n) => p[n]), ct).map((t) => t.clone()));
    const full = await values(fullGrads);
    tf.dispose(fullGrads);
    const rows: Float32Array[][] = [];
    if (withRows) {
      for (let r = 0; r < y.shape[0]; r++) {
        const mask = tf.tidy(() => {
          const m = tf.oneHot([r], y.shape[0], 1, 0, "float32");
          return tf.reshape(m, [y.shape[0], ...y.shape.slice(1).map(() => 1)]);
        });
        const gr = tf.tidy(() => g(names.map((n) => p[n]), tf.mul(ct, mask)).map((t) => t.clone()));
        rows.push(await values(gr));
        tf.dispose([...gr, mask]);
      }
    }
    const ctData = await ct.data();
    const yShape = y.shape;
    tf.dispose([y, ct, ...Object.values(p)]);
    return { full, rows, ctData, yShape };
  } finally {
    await tf.setBackend(prev);
  }
}

/** Runs all checks of one case on the current backend; throws with a message on failure. */
export async function checkKernelCase(c: KernelCase): Promise<void> {
  const backend = tf.getBackend();
  const tol = c.tol ?? (backend === "webgpu" ? 1e-3 : 1e-4);
  const before = tf.memory().numTensors;
  const p = c.params();
  const names = Object.keys(p);
  const x = tf.zeros([1]);
  const lin = traceLinear((q) => c.fn(q), p, x);
  const prog = lin.program;
  const yShape = lin.output.shape;
  const withRows = !c.noRows && !c.zero && yShape.length > 0 && yShape[0] > 1;
  const ref = await reference(c, names, withRows);
  const label = `${c.kernel}${c.variant ? ` [${c.variant}]` : ""} on ${backend}`;
  try {
    if (!lin.kernels.includes(c.kernel)) {
      throw new Error(`${label}: kernel ${c.kernel} was not linearized (traced: ${lin.kernels})`);
    }
    if (c.zero && prog.eqns.length > 0) throw new Error(`${label}: a zero-derivative kernel emitted equations`);
    const ct = tf.tensor(ref.ctData, [1, ...ref.yShape]);
    // 1. VJP against tf.grads.
    const ours = new Map<string, tf.Tensor>();
    for (const [n, g] of backward(prog, ct, 1, null)) ours.set(n, g);
    const grads = names.map((n) => ours.get(n) ?? tf.zeros([1, ...p[n].shape]));
    const mine = await values(grads);
    names.forEach((n, i) => {
      const e = relError(mine[i], ref.full[i]);
      if (!(e <= tol)) throw new Error(`${label}: VJP for "${n}" differs from tf.grads: rel error ${e}`);
    });
    // 2. Per-row VJPs.
    if (withRows) {
      const rows = inferExampleAxes(prog);
      const perRow = new Map<string, tf.Tensor>();
      for (const [n, g] of backward(prog, ct, 1, rows)) perRow.set(n, g);
      for (const [i, n] of names.entries()) {
        const g = perRow.get(n);
        if (!g) continue;
        const data = await g.data();
        const w = p[n].size;
        // Error relative to the whole gradient's scale (a row's share can be tiny).
        const scale = Math.max(1e-30, ...ref.full[i].map(Math.abs));
        for (let r = 0; r < ref.yShape[0]; r++) {
          const want = ref.rows[r][i];
          let diff = 0;
          for (let q = 0; q < w; q++) diff = Math.max(diff, Math.abs(data[r * w + q] - want[q]));
          if (!(diff / scale <= tol)) {
            throw new Error(`${label}: per-row VJP for "${n}", row ${r}, differs: rel error ${diff / scale}`);
          }
        }
      }
      tf.dispose([...perRow.values()]);
    }
    // 3. Adjoint identity with random tangents.
    const tangents = new Map(names.map((n, i) => [n, tf.tidy(() => tf.expandDims(randn(p[n].shape, 100 + i), 0))]));
    const jt = forward(prog, tangents, 1);
    const lhs = tf.tidy(() => (jt ? tf.sum(tf.mul(jt, ct)) : tf.scalar(0)));
    const rhs = tf.tidy(() => tf.addN(names.map((n, i) => tf.sum(tf.mul(tangents.get(n)!, grads[i])))));
    const [a, b] = [(await lhs.data())[0], (await rhs.data())[0]];
    const scale = Math.max(1e-6, Math.abs(a), Math.abs(b));
    if (!(Math.abs(a - b) <= tol * scale)) {
      throw new Error(`${label}: adjoint identity fails: ⟨Jt,c⟩=${a}, ⟨t,Jᵀc⟩=${b}`);
    }
    tf.dispose([ct, jt ?? [], lhs, rhs, ...tangents.values(), ...grads]);
  } finally {
    disposeProgram(prog);
    tf.dispose([lin.output, x, ...Object.values(p)]);
  }
  const leaked = tf.memory().numTensors - before;
  if (leaked !== 0) throw new Error(`${label}: ${leaked} tensors leaked`);
}
