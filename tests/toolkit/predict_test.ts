// predictGradientDescentMse(): t = ∞ against kernel ridge regression by Cholesky, finite t
// against a matrix exponential by scaling and squaring, t = 0 against the initial outputs, and
// small-step gradient descent on models linear in their parameters (fixed features; linearize()
// of an MLP) against the predictions; traceAxes layouts against each other; errors; no leaks.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import {
  empiricalNtkFn,
  InvalidOptionError,
  linearize,
  NonFiniteInputError,
  ntkSpectrum,
  predictGradientDescentMse,
  ShapeMismatchError,
} from "../../mod.ts";
import { randn } from "../_data.ts";
import { mlp } from "../ntk/_models.ts";
import { relError } from "../_ref.ts";
import { NATIVE_IF_PRESENT } from "../_native.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

// ---- float64 oracles, written without eigendecompositions ----

/** Row-major a·b for a [n, k], b [k, m]. */
function matmul(a: Float64Array, b: Float64Array, n: number, k: number, m: number): Float64Array {
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let l = 0; l < k; l++) for (let j = 0; j < m; j++) out[i * m + j] += a[i * k + l] * b[l * m + j];
  }
  return out;
}

/** Solves (a) x = b for symmetric positive definite a [n, n], b [n, c], by Cholesky. */
function cholSolve(a: Float64Array, b: Float64Array, n: number, c: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
      l[i * n + j] = i === j ? Math.sqrt(s) : s / l[j * n + j];
    }
  }
  const x = Float64Array.from(b);
  for (let o = 0; o < c; o++) {
    for (let i = 0; i < n; i++) {
      let s = x[i * c + o];
      for (let k = 0; k < i; k++) s -= l[i * n + k] * x[k * c + o];
      x[i * c + o] = s / l[i * n + i];
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = x[i * c + o];
      for (let k = i + 1; k < n; k++) s -= l[k * n + i] * x[k * c + o];
      x[i * c + o] = s / l[i * n + i];
    }
  }
  return x;
}

/** exp(a) for a [n, n] by scaling and squaring with a degree-20 Taylor polynomial. */
function expm(a: Float64Array, n: number): Float64Array {
  let norm = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += Math.abs(a[i * n + j]);
    norm = Math.max(norm, s);
  }
  const squarings = Math.max(0, Math.ceil(Math.log2(norm)) + 1);
  const scaled = a.map((v) => v / 2 ** squarings);
  let term: Float64Array = new Float64Array(n * n), sum: Float64Array = new Float64Array(n * n);
  for (let i = 0; i < n; i++) term[i * n + i] = sum[i * n + i] = 1;
  for (let k = 1; k <= 20; k++) {
    term = matmul(term, scaled, n, n, n).map((v) => v / k);
    sum = sum.map((v, i) => v + term[i]);
  }
  for (let s = 0; s < squarings; s++) sum = matmul(sum, sum, n, n, n);
  return sum;
}

const read = async (t: tf.Tensor) => Float64Array.from(await t.data());

/** A PSD train kernel φφᵀ [n, n] and test kernel φ'φᵀ [m, n] from random features. */
function kernels(n: number, m: number, features: number, seed: number) {
  return tf.tidy(() => {
    const phi = randn([n, features], seed, 1 / Math.sqrt(features));
    const phiTest = randn([m, features], seed + 1, 1 / Math.sqrt(features));
    return { k: tf.matMul(phi, phi, false, true), kt: tf.matMul(phiTest, phi, false, true) };
  });
}

// ---- t = ∞, t = 0, finite t against oracles ----

for (const backend of ["cpu", ...NATIVE_IF_PRESENT, "wasm", "webgpu"]) {
  Deno.test({
    name: `predictGradientDescentMse() at t = ∞ is kernel ridge regression on ${backend}`,
    ...opts,
    fn: async () => {
      await tf.setBackend(backend);
      const [n, m, o] = [40, 30, 3]; // 1600 kernel entries: above webgpu's CPU hand-off
      const { k, kt } = kernels(n, m, 60, 1);
      const [y, f0, ft0] = [randn([n, o], 4), randn([n, o], 5, 0.3), randn([m, o], 6, 0.3)];
      const before = tf.memory().numTensors;
      const [kd, ktd, yd, f0d, ft0d] = await Promise.all([k, kt, y, f0, ft0].map(read));
      let trace = 0;
      for (let i = 0; i < n; i++) trace += kd[i * n + i];
      for (const [reg, absolute] of [[0, false], [0.1, false], [0.05, true]] as const) {
        const predict = await predictGradientDescentMse(k, y, { diagReg: reg, diagRegAbsoluteScale: absolute });
        const { train, test } = await predict(Infinity, f0, ft0, kt);
        // Oracle: α = (K + ridge·I)⁻¹ (y − f0) by Cholesky; f_test = f_test0 + K_test,train α.
        const ridge = absolute ? reg : (reg * trace) / n;
        const a = kd.map((v, i) => (i % (n + 1) === 0 ? v + ridge : v));
        const alpha = cholSolve(a, yd.map((v, i) => v - f0d[i]), n, o);
        const want = matmul(ktd, alpha, m, n, o).map((v, i) => v + ft0d[i]);
        const [trainErr, testErr] = [relError(await read(train), yd), relError(await read(test!), want)];
        console.log(
          `  diagReg ${reg}${absolute ? " (absolute)" : ""}: train ${trainErr.toExponential(2)}, ` +
            `test ${testErr.toExponential(2)} (relative to max |expected|)`,
        );
        assert.ok(trainErr <= 1e-6 && testErr <= 1e-4, `train ${trainErr}, test ${testErr}`);
        assert.deepEqual([train.shape, test!.shape], [[n, o], [m, o]]);
        tf.dispose([train, test!]);
      }
      assert.equal(tf.memory().numTensors, before, "no leak");
      tf.dispose([k, kt, y, f0, ft0]);
    },
  });
}

Deno.test({
  name: "predictGradientDescentMse() at t = 0 returns the initial outputs, and defaults them to 0",
  ...opts,
  fn: async () => {
    await tf.setBackend("cpu");
    const { k, kt } = kernels(8, 5, 20, 2);
    const [y, f0, ft0] = [randn([8, 2], 3), randn([8, 2], 4), randn([5, 2], 5)];
    const predict = await predictGradientDescentMse(k, y);
    const { train, test } = await predict(0, f0, ft0, kt);
    assert.deepEqual(await read(train), await read(f0));
    assert.deepEqual(await read(test!), await read(ft0));
    const zero = await predict(0, undefined, undefined, kt);
    assert.ok((await read(zero.train)).every((v) => v === 0) && (await read(zero.test!)).every((v) => v === 0));
    tf.dispose([k, kt, y, f0, ft0, train, test!, zero.train, zero.test!]);
  },
});

Deno.test({
  name: "predictGradientDescentMse() at finite t matches exp(−η t K / n) by scaling and squaring",
  ...opts,
  fn: async () => {
    await tf.setBackend("cpu");
    const [n, m, o, lr] = [12, 5, 3, 0.7];
    const { k, kt } = kernels(n, m, 30, 7);
    const [y, f0, ft0] = [randn([n, o], 8), randn([n, o], 9), randn([m, o], 10)];
    const [kd, ktd, yd, f0d, ft0d] = await Promise.all([k, kt, y, f0, ft0].map(read));
    const predict = await predictGradientDescentMse(k, y, { learningRate: lr });
    const times = [0.5, 3, 40];
    const { train, test } = await predict(times, f0, ft0, kt);
    assert.deepEqual([train.shape, test!.shape], [[3, n, o], [3, m, o]]);
    const [trainAll, testAll] = [await read(train), await read(test!)];
    const r0 = f0d.map((v, i) => v - yd[i]);
    for (const [ti, t] of times.entries()) {
      // The loss averages over all n·o entries of y: f_train(t) = y + exp(−η t K / (n·o)) (f0 − y).
      const e = expm(kd.map((v) => (-lr * t * v) / (n * o)), n);
      const wantTrain = matmul(e, r0, n, n, o).map((v, i) => v + yd[i]);
      // f_test(t) = f_test0 + K_test,train K⁻¹ (exp(…) − I)(f0 − y).
      const moved = matmul(e, r0, n, n, o).map((v, i) => v - r0[i]);
      const wantTest = matmul(ktd, cholSolve(kd, moved, n, o), m, n, o).map((v, i) => v + ft0d[i]);
      const errs = [
        relError(trainAll.subarray(ti * n * o, (ti + 1) * n * o), wantTrain),
        relError(testAll.subarray(ti * m * o, (ti + 1) * m * o), wantTest),
      ];
      console.log(`  t = ${t}: train ${errs[0].toExponential(2)}, test ${errs[1].toExponential(2)}`);
      assert.ok(errs[0] <= 1e-5 && errs[1] <= 1e-4, `t = ${t}: ${errs}`);
    }
    tf.dispose([k, kt, y, f0, ft0, train, test!]);
  },
});

// ---- gradient descent on models linear in their parameters ----

/** Gradient descent on 0.5·mean((f(p, x) − y)²), recording train and test outputs at `checkpoints` steps. */
async function descend(
  f: (p: Record<string, tf.Tensor>, x: tf.Tensor) => tf.Tensor,
  params0: Record<string, tf.Tensor>,
  data: { x: tf.Tensor; y: tf.Tensor; xTest: tf.Tensor },
  lr: number,
  checkpoints: number[],
): Promise<{ train: Float64Array[]; test: Float64Array[] }> {
  const names = Object.keys(params0);
  const grads = tf.grads((...ps: tf.Tensor[]) => {
    const p = Object.fromEntries(names.map((n, i) => [n, ps[i]]));
    return tf.mul(0.5, tf.mean(tf.square(tf.sub(f(p, data.x), data.y))));
  });
  let ps = names.map((n) => tf.clone(params0[n]));
  const out = { train: [] as Float64Array[], test: [] as Float64Array[] };
  for (let step = 1; step <= checkpoints[checkpoints.length - 1]; step++) {
    const next = tf.tidy(() => {
      const g = grads(ps);
      return ps.map((p, i) => tf.sub(p, tf.mul(lr, g[i])));
    });
    tf.dispose(ps);
    ps = next;
    if (checkpoints.includes(step)) {
      const p = Object.fromEntries(names.map((n, i) => [n, ps[i]]));
      const [a, b] = [f(p, data.x), f(p, data.xTest)];
      out.train.push(await read(a)), out.test.push(await read(b));
      tf.dispose([a, b]);
    }
  }
  tf.dispose(ps);
  return out;
}

/** Compares descend() with predict() at the checkpoints; returns the largest relative errors. */
async function compare(
  gd: { train: Float64Array[]; test: Float64Array[] },
  predicted: { train: tf.Tensor; test?: tf.Tensor },
  checkpoints: number[],
) {
  const [train, test] = [await read(predicted.train), await read(predicted.test!)];
  let [trainErr, testErr] = [0, 0];
  checkpoints.forEach((s, i) => {
    const [a, b] = [gd.train[i].length, gd.test[i].length];
    const e = [
      relError(train.subarray(i * a, (i + 1) * a), gd.train[i]),
      relError(test.subarray(i * b, (i + 1) * b), gd.test[i]),
    ];
    console.log(`  step ${s}: train ${e[0].toExponential(2)}, test ${e[1].toExponential(2)}`);
    [trainErr, testErr] = [Math.max(trainErr, e[0]), Math.max(testErr, e[1])];
  });
  return { trainErr, testErr };
}

Deno.test({
  name: "predictGradientDescentMse() is where small-step gradient descent goes: fixed features, traced NTK",
  ...opts,
  fn: async () => {
    await tf.setBackend("cpu");
    // f(p, x) = tanh(x·A)·w: linear in w; its NTK is φφᵀ ⊗ I, exactly what a traced kernel stands for.
    const a = randn([3, 20], 1);
    const f = (p: Record<string, tf.Tensor>, x: tf.Tensor | tf.Tensor[]) =>
      tf.matMul(tf.tanh(tf.matMul(x as tf.Tensor, a)), p.w);
    const params0 = { w: randn([20, 3], 2, 0.3) };
    const data = { x: randn([8, 3], 3), y: randn([8, 3], 4), xTest: randn([4, 3], 5) };
    const ntk = empiricalNtkFn(f); // traceAxes [-1]: [N1, N2]
    const [k, kt] = [await ntk(data.x, null, params0), await ntk(data.xTest, data.x, params0)];
    // Steps small against the fastest mode: η·λ_max/n = 1/500, so Euler's error is ~ 1e-4.
    const lr = (8 * 3) / (500 * (await ntkSpectrum(k)).eigenvalues[0]);
    const checkpoints = [100, 400, 1000];
    const gd = await descend(f, params0, data, lr, checkpoints);
    const [f0, ft0] = [f(params0, data.x), f(params0, data.xTest)];
    const predict = await predictGradientDescentMse(k, data.y, { learningRate: lr });
    const predicted = await predict(checkpoints, f0, ft0, kt);
    const { trainErr, testErr } = await compare(gd, predicted, checkpoints);
    assert.ok(trainErr <= 1e-3 && testErr <= 1e-3, `train ${trainErr}, test ${testErr}`);
    tf.dispose([
      a,
      k,
      kt,
      f0,
      ft0,
      predicted.train,
      predicted.test!,
      ...Object.values(params0),
      ...Object.values(data),
    ]);
  },
});

Deno.test({
  name: "predictGradientDescentMse() is where small-step gradient descent goes: linearize() of an MLP, full NTK",
  ...opts,
  fn: async () => {
    await tf.setBackend("cpu");
    const model = mlp("tanh", { width: 16, out: 2 });
    const params0 = model.params();
    const fLin = linearize(model.f, params0);
    const data = { x: model.input(6, 1), y: randn([6, 2], 2), xTest: model.input(3, 3) };
    // The NTK of fLin (at any params) is f's NTK at params0; traceAxes [] keeps the O × O blocks.
    const ntk = empiricalNtkFn(fLin, { traceAxes: [] });
    const [k, kt] = [await ntk(data.x, null, params0), await ntk(data.xTest, data.x, params0)];
    const lr = (6 * 2) / (450 * (await ntkSpectrum(k)).eigenvalues[0]);
    const checkpoints = [90, 300, 750];
    const gd = await descend((p, x) => fLin(p, x), params0, data, lr, checkpoints);
    const [f0, ft0] = [fLin(params0, data.x), fLin(params0, data.xTest)];
    const predict = await predictGradientDescentMse(k, data.y, { learningRate: lr, traceAxes: [] });
    const predicted = await predict(checkpoints, f0, ft0, kt);
    const { trainErr, testErr } = await compare(gd, predicted, checkpoints);
    assert.ok(trainErr <= 1e-3 && testErr <= 1e-3, `train ${trainErr}, test ${testErr}`);
    fLin.dispose();
    tf.dispose([k, kt, f0, ft0, predicted.train, predicted.test!, ...Object.values(params0), ...Object.values(data)]);
  },
});

// ---- traceAxes layouts ----

Deno.test({
  name: "predictGradientDescentMse() gives the same outputs for a traced kernel and its full K ⊗ I",
  ...opts,
  fn: async () => {
    await tf.setBackend("cpu");
    const [n, m, o] = [7, 4, 3];
    const { k, kt } = kernels(n, m, 20, 11);
    const [y, f0, ft0] = [randn([n, o], 12), randn([n, o], 13), randn([m, o], 14)];
    const eye = tf.eye(o);
    const full = tf.einsum("ij,ab->ijab", k, eye), fullT = tf.einsum("ij,ab->ijab", kt, eye);
    const times = [0.3, 5, 100, Infinity];
    const a = await (await predictGradientDescentMse(k, y, { diagReg: 1e-3 }))(times, f0, ft0, kt);
    const b = await (await predictGradientDescentMse(full, y, { diagReg: 1e-3, traceAxes: [] }))(times, f0, ft0, fullT);
    const errs = [
      relError(await read(a.train), await read(b.train)),
      relError(await read(a.test!), await read(b.test!)),
    ];
    assert.ok(errs.every((e) => e <= 1e-5), `${errs}`);

    // y [N, T, O] traced over O with kernel [N, N, T, T] is y [N·T, O] with the matrix [N·T, N·T];
    // traceAxes [1] on y [N, O, T] is traceAxes [-1] on its transpose [N, T, O].
    const t = 2;
    const k4 = tf.tidy(() => tf.transpose(tf.reshape(kernels(n * t, 1, 30, 21).k, [n, t, n, t]), [0, 2, 1, 3]));
    const y3 = randn([n, t, o], 22), f03 = randn([n, t, o], 23);
    const c = await (await predictGradientDescentMse(k4, y3))(times, f03);
    const k2 = tf.tidy(() => tf.reshape(tf.transpose(k4, [0, 2, 1, 3]), [n * t, n * t]));
    const [y2, f02] = [tf.reshape(y3, [n * t, o]), tf.reshape(f03, [n * t, o])];
    const d = await (await predictGradientDescentMse(k2, y2))(times, f02);
    assert.deepEqual(c.train.shape, [4, n, t, o]);
    assert.ok(relError(await read(c.train), await read(d.train)) <= 1e-5);
    const [yT, f0T] = [tf.transpose(y3, [0, 2, 1]), tf.transpose(f03, [0, 2, 1])];
    const e = await (await predictGradientDescentMse(k4, yT, { traceAxes: [1] }))(times, f0T);
    const eBack = tf.transpose(e.train, [0, 1, 3, 2]);
    assert.ok(relError(await read(eBack), await read(c.train)) <= 1e-6);
    tf.dispose([k, kt, y, f0, ft0, eye, full, fullT, a.train, a.test!, b.train, b.test!, k4, y3, f03, c.train]);
    tf.dispose([k2, y2, f02, d.train, yT, f0T, e.train, eBack]);
  },
});

// ---- errors and memory ----

Deno.test({
  name: "predictGradientDescentMse() rejects bad shapes, values and options with named errors, and leaks nothing",
  ...opts,
  fn: async () => {
    await tf.setBackend("cpu");
    const { k, kt } = kernels(5, 3, 10, 31);
    const y = randn([5, 2], 32);
    const before = tf.memory().numTensors;
    const bad = async (fn: () => Promise<unknown>, err: new (...a: never[]) => Error, pattern?: RegExp) =>
      await assert.rejects(fn, (e) => e instanceof err && (!pattern || pattern.test((e as Error).message)));
    const asym = Float32Array.from({ length: 25 }, (_, i) => (i % 6 === 0 ? 1 : 0));
    asym[1] = 2;
    const [y3, kNs, k3, k34] = [tf.zeros([4, 2]), tf.tensor(asym, [5, 5]), tf.reshape(k, [5, 5, 1]), tf.zeros([3, 4])];
    const nanY = tf.tensor2d([[NaN, 0], [0, 0], [0, 0], [0, 0], [0, 0]]);
    await bad(() => predictGradientDescentMse(k, y3), ShapeMismatchError, /kTrainTrain.*expected \[4,4\]/);
    await bad(() => predictGradientDescentMse(k, y, { traceAxes: [] }), ShapeMismatchError, /expected \[5,5,2,2\]/);
    await bad(() => predictGradientDescentMse(kNs, y), ShapeMismatchError, /symmetric/);
    await bad(() => predictGradientDescentMse(k, nanY), NonFiniteInputError, /yTrain/);
    await bad(() => predictGradientDescentMse(k, y, { learningRate: 0 }), InvalidOptionError, /learningRate/);
    await bad(() => predictGradientDescentMse(k, y, { diagReg: -1 }), InvalidOptionError, /diagReg/);
    await bad(() => predictGradientDescentMse(k, y, { traceAxes: [0] }), InvalidOptionError, /traceAxes/);
    await bad(() => predictGradientDescentMse(k, y, { traceAxes: [2] }), InvalidOptionError, /traceAxes/);
    const predict = await predictGradientDescentMse(k, y);
    await bad(() => predict(-1), InvalidOptionError, /Invalid t/);
    await bad(() => predict([1, NaN]), InvalidOptionError, /Invalid t/);
    await bad(() => predict(1, y3), ShapeMismatchError, /fTrain0/);
    await bad(() => predict(1, undefined, 0.5), ShapeMismatchError, /kTestTrain/);
    await bad(() => predict(1, undefined, undefined, k3), ShapeMismatchError, /kTestTrain/);
    await bad(() => predict(1, undefined, undefined, k34), ShapeMismatchError, /kTestTrain/);
    await bad(() => predict(1, undefined, y3, kt), ShapeMismatchError, /fTest0.*\[3,2\]/);
    tf.dispose([y3, kNs, k3, k34, nanY]);
    assert.equal(tf.memory().numTensors, before, "failed calls leave no tensors");
    // A good call adds exactly its outputs.
    const { train, test } = await predict([1, Infinity], 0.1, undefined, kt);
    assert.equal(tf.memory().numTensors, before + 2);
    tf.dispose([train, test!]);
    tf.dispose([k, kt, y]);
  },
});
