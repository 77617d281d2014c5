// taylorExpand(): degrees 1 and 2 against an exact float64 Taylor-mode (jet) evaluation of the
// MLP along the step, on every backend, leak-free; on smooth f (tanh, softplus) the log-log
// slope of |fT(p0 + s·v) − f(p0 + s·v)| against s is degree + 1 within ±0.3 for degrees 0, 1, 2;
// degree 1 is linearize; a kernel without a second-order rule is named; bad degrees and params.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { InvalidOptionError, ShapeMismatchError, taylorExpand, UnsupportedKernelError } from "../../mod.ts";
import { randn } from "../_data.ts";
import { mlp } from "../ntk/_models.ts";
import { relError } from "../_ref.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const read = async (t: tf.Tensor) => Float64Array.from(await t.data());
type P = Record<string, tf.Tensor>;

/** p0 + s·v. */
const step = (p0: P, v: P, s: number): P =>
  tf.tidy(() => Object.fromEntries(Object.keys(p0).map((n) => [n, tf.add(p0[n], tf.mul(s, v[n]))])));

/** A degree-2 jet a0 + a1·s + a2·s² per entry (float64). */
type Jet = [Float64Array, Float64Array, Float64Array];

/** Jet of x·W + b for jets W, b (x constant, [n, d]). */
function denseJet(x: Jet, w: Jet, b: Jet, n: number, d: number, m: number): Jet {
  const out: Jet = [new Float64Array(n * m), new Float64Array(n * m), new Float64Array(n * m)];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      for (let k = 0; k <= 2; k++) {
        let acc = b[k][j];
        for (let a = 0; a < d; a++) {
          for (let l = 0; l <= k; l++) acc += x[l][i * d + a] * w[k - l][a * m + j];
        }
        out[k][i * m + j] = acc;
      }
    }
  }
  return out;
}

/** g(u0 + u1 s + u2 s²) to second order: g(u0) + g'·u1 s + (g'·u2 + ½ g''·u1²) s². */
function activationJet(u: Jet, act: "tanh" | "softplus"): Jet {
  const out: Jet = [new Float64Array(u[0].length), new Float64Array(u[0].length), new Float64Array(u[0].length)];
  for (let i = 0; i < u[0].length; i++) {
    const z = u[0][i];
    let g, d1, d2;
    if (act === "tanh") {
      g = Math.tanh(z), d1 = 1 - g * g, d2 = -2 * g * d1;
    } else {
      const sig = 1 / (1 + Math.exp(-z));
      g = Math.log1p(Math.exp(z)), d1 = sig, d2 = sig * (1 - sig);
    }
    out[0][i] = g, out[1][i] = d1 * u[1][i], out[2][i] = d1 * u[2][i] + 0.5 * d2 * u[1][i] ** 2;
  }
  return out;
}

/**
 * The mlp() of ntk/_models.ts at p0 + s·v as an exact polynomial in s to second order, in float64
 * (Taylor-mode arithmetic written here): [f(p0), J·v, ½·H[v, v]].
 */
async function mlpJet(act: "tanh" | "softplus", p0: P, v: P, x: tf.Tensor): Promise<Jet> {
  const jet = async (n: string): Promise<Jet> => [await read(p0[n]), await read(v[n]), new Float64Array(p0[n].size)];
  const [n, d] = x.shape;
  const width = p0.w1.shape[1]!, out = p0.w3.shape[1]!;
  const x0: Jet = [await read(x), new Float64Array(x.size), new Float64Array(x.size)];
  const h1 = activationJet(denseJet(x0, await jet("w1"), await jet("b1"), n, d, width), act);
  const h2 = activationJet(denseJet(h1, await jet("w2"), await jet("b2"), n, width, width), act);
  return denseJet(h2, await jet("w3"), await jet("b3"), n, width, out);
}

for (const backend of ["cpu", "wasm", "webgpu"]) {
  for (const act of ["tanh", "softplus"] as const) {
    Deno.test({
      name:
        `taylorExpand(…, 1 and 2) equal an exact float64 Taylor-mode evaluation along the step (${act} MLP) on ${backend}`,
      ...opts,
      fn: async () => {
        await tf.setBackend(backend);
        const m = mlp(act, { width: 8, out: 2 });
        const p0 = m.params(), x = m.input(3, 1);
        const v: P = Object.fromEntries(Object.entries(p0).map(([n, t], i) => [n, randn(t.shape, 40 + i, 0.3)]));
        const s = 0.5; // fT1 and fT2 are polynomials in s: any s compares them exactly
        const p = step(p0, v, s);
        const before = tf.memory().numTensors;
        const [f2, f1] = [taylorExpand(m.f, p0, 2), taylorExpand(m.f, p0, 1)];
        const [y2, y1] = [f2(p, x), f1(p, x)];
        assert.equal(
          tf.memory().numTensors - before,
          2 + 2 * Object.keys(p0).length,
          "results and the two copies of params0",
        );
        const [c0, c1, c2] = await mlpJet(act, p0, v, x);
        const want1 = c0.map((a, i) => a + c1[i] * s), want2 = want1.map((a, i) => a + c2[i] * s * s);
        const [a2, a1] = [await read(y2), await read(y1)];
        const errs = [
          relError(a1, want1),
          relError(a2, want2),
          relError(a2.map((q, i) => q - a1[i]), c2.map((c) => c * s * s)),
        ];
        console.log(
          `  degree 1 ${errs[0].toExponential(2)}, degree 2 ${errs[1].toExponential(2)}, ` +
            `its ½H[Δ, Δ] term ${errs[2].toExponential(2)} (× max|float64 Taylor-mode oracle|)`,
        );
        assert.ok(errs[0] <= 1e-5 && errs[1] <= 1e-5 && errs[2] <= 1e-4, `${errs}`);
        tf.dispose([y1, y2]);
        f1.dispose();
        f2.dispose();
        assert.equal(tf.memory().numTensors, before, "no leak");
        tf.dispose([x, ...Object.values(p0), ...Object.values(v), ...Object.values(p)]);
      },
    });
  }
}

/** Least-squares slope of log(err) against log(s). */
function slope(steps: number[], errs: number[]): number {
  const [lx, ly] = [steps.map(Math.log), errs.map(Math.log)];
  const [mx, my] = [lx.reduce((a, b) => a + b) / lx.length, ly.reduce((a, b) => a + b) / ly.length];
  const num = lx.reduce((acc, x, i) => acc + (x - mx) * (ly[i] - my), 0);
  return num / lx.reduce((acc, x) => acc + (x - mx) ** 2, 0);
}

for (const act of ["tanh", "softplus"] as const) {
  Deno.test({
    name: `taylorExpand() of a ${act} MLP: the error falls as s^(degree + 1) (log-log slope within ±0.3)`,
    ...opts,
    fn: async () => {
      await tf.setBackend("cpu");
      const m = mlp(act, { width: 8, out: 2 });
      const p0 = m.params(), x = m.input(4, 2);
      const v: P = Object.fromEntries(Object.entries(p0).map(([n, t], i) => [n, randn(t.shape, 50 + i, 0.3)]));
      const steps = [0.4, 0.2, 0.1, 0.05]; // in units of v (entries ~0.3)
      for (const degree of [0, 1, 2] as const) {
        const fT = taylorExpand(m.f, p0, degree);
        const errs: number[] = [];
        for (const s of steps) {
          const p = step(p0, v, s);
          const [a, b] = [fT(p, x), m.f(p, x)];
          errs.push(Math.max(...(await read(a)).map((q, i) => Math.abs(q - (b.dataSync()[i])))));
          tf.dispose([a, b, ...Object.values(p)]);
        }
        fT.dispose();
        const k = slope(steps, errs);
        console.log(
          `  degree ${degree}: errors ${errs.map((e) => e.toExponential(1)).join(", ")}; slope ${k.toFixed(2)}`,
        );
        assert.ok(Math.abs(k - (degree + 1)) <= 0.3, `degree ${degree}: slope ${k}`);
      }
      tf.dispose([x, ...Object.values(p0), ...Object.values(v)]);
    },
  });
}

Deno.test({
  name:
    "taylorExpand(): degree 1 is linearize, degree 0 is f(params0); bad degree, params and a kernel without a second-order rule are named",
  ...opts,
  fn: async () => {
    await tf.setBackend("cpu");
    const m = mlp("tanh", { width: 4, out: 2 });
    const p0 = m.params(), x = m.input(3, 3);
    const p = step(p0, p0, 0.1);
    const f0 = taylorExpand(m.f, p0, 0);
    const [y0, want0] = [f0(p, x), m.f(p0, x)];
    assert.deepEqual(await read(y0), await read(want0));
    f0.dispose();
    // deno-lint-ignore no-explicit-any
    assert.throws(() => taylorExpand(m.f, p0, 3 as any), InvalidOptionError);
    const f2 = taylorExpand(m.f, p0, 2);
    assert.throws(() => f2({ ...p, w1: tf.zeros([2, 2]) }, x), ShapeMismatchError);
    f2.dispose();
    // Prod's first-order rule uses Cumprod, which has no rule: degree 2 names it, degree 1 works.
    const prod = (q: P, xs: tf.Tensor | tf.Tensor[]) => tf.prod(tf.matMul(xs as tf.Tensor, q.w), 1);
    const q0: P = { w: randn([3, 4], 60) }, q = step(q0, q0, 0.1);
    const before = tf.memory().numTensors;
    const g2 = taylorExpand(prod, q0, 2);
    assert.throws(
      () => g2(q, x),
      (e: Error) => e instanceof UnsupportedKernelError && /Cumprod.*second derivative/.test(e.message),
    );
    g2.dispose();
    assert.equal(tf.memory().numTensors, before, "the error leaves nothing behind");
    const g1 = taylorExpand(prod, q0, 1);
    tf.dispose(g1(q, x));
    g1.dispose();
    tf.dispose([y0, want0, x, ...Object.values(p0), ...Object.values(p), ...Object.values(q0), ...Object.values(q)]);
  },
});
