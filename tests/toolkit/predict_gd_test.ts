// predictGradientDescent(): MSE through the general ODE path against the closed form of
// predictGradientDescentMse (traced and full kernels, every backend); momentum against a
// fixed-step classical RK4 of the same second-order ODE written here in float64; cross-entropy
// against small-step gradient descent on linearize() of an MLP; errors; no leaks.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import {
  empiricalNtkFn,
  InvalidOptionError,
  linearize,
  ntkSpectrum,
  predictGradientDescent,
  predictGradientDescentMse,
  ShapeMismatchError,
} from "../../mod.ts";
import { randn } from "../_data.ts";
import { mlp } from "../ntk/_models.ts";
import { relError } from "../_ref.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const read = async (t: tf.Tensor) => Float64Array.from(await t.data());
const mse = (fx: tf.Tensor, y: tf.Tensor) => tf.mul(0.5, tf.mean(tf.square(tf.sub(fx, y))));
const crossEntropy = (fx: tf.Tensor, y: tf.Tensor) => tf.neg(tf.mean(tf.mul(tf.logSoftmax(fx), y)));

/** A PSD train kernel φφᵀ [n, n] and test kernel φ'φᵀ [m, n] from random features. */
function kernels(n: number, m: number, features: number, seed: number) {
  return tf.tidy(() => {
    const phi = randn([n, features], seed, 1 / Math.sqrt(features));
    const phiTest = randn([m, features], seed + 1, 1 / Math.sqrt(features));
    return { k: tf.matMul(phi, phi, false, true), kt: tf.matMul(phiTest, phi, false, true) };
  });
}

for (const backend of ["cpu", "wasm", "webgpu"]) {
  Deno.test({
    name: `predictGradientDescent() with MSE equals predictGradientDescentMse's closed form on ${backend}`,
    ...opts,
    fn: async () => {
      await tf.setBackend(backend);
      const [n, m, o, lr] = [10, 4, 3, 0.5];
      const { k, kt } = kernels(n, m, 20, 1);
      const [y, f0, ft0] = [randn([n, o], 2), randn([n, o], 3, 0.5), randn([m, o], 4, 0.5)];
      const before = tf.memory().numTensors;
      const times = [0, 3, 30, 300];
      const predict = await predictGradientDescent(mse, k, y, { learningRate: lr });
      const got = await predict(times, f0, ft0, kt);
      const want = await (await predictGradientDescentMse(k, y, { learningRate: lr }))(times, f0, ft0, kt);
      const errs = [
        relError(await read(got.train), await read(want.train)),
        relError(await read(got.test!), await read(want.test!)),
      ];
      console.log(`  train ${errs[0].toExponential(2)}, test ${errs[1].toExponential(2)} (× max|closed form|)`);
      assert.ok(errs[0] <= 1e-5 && errs[1] <= 1e-5, `${errs}`);
      assert.deepEqual([got.train.shape, got.test!.shape], [[4, n, o], [4, m, o]]);
      tf.dispose([got.train, got.test!, want.train, want.test!]);
      assert.equal(tf.memory().numTensors, before, "no leak");
      tf.dispose([k, kt, y, f0, ft0]);
    },
  });
}

Deno.test({
  name: "predictGradientDescent() with MSE and a full kernel [N, N, O, O] equals the closed form",
  ...opts,
  fn: async () => {
    await tf.setBackend("cpu");
    const [n, o] = [6, 2];
    // A full PSD kernel: features φ [n·o, F] reshaped to [n, o, n, o] → zipped [n, n, o, o].
    const k = tf.tidy(() => {
      const phi = randn([n * o, 30], 5, 1 / Math.sqrt(30));
      return tf.transpose(tf.reshape(tf.matMul(phi, phi, false, true), [n, o, n, o]), [0, 2, 1, 3]);
    });
    const [y, f0] = [randn([n, o], 6), randn([n, o], 7, 0.5)];
    const times = [1, 10, 100];
    const got = await (await predictGradientDescent(mse, k, y, { traceAxes: [] }))(times, f0);
    const want = await (await predictGradientDescentMse(k, y, { traceAxes: [] }))(times, f0);
    const err = relError(await read(got.train), await read(want.train));
    console.log(`  train ${err.toExponential(2)}`);
    assert.ok(err <= 1e-5, `${err}`);
    tf.dispose([k, y, f0, got.train, want.train]);
  },
});

/** Classical RK4 with a fixed step for the heavy ball f'' = −(η-free) K (f − y)/N + a f' (float64). */
function heavyBallRk4(
  k: Float64Array,
  y: Float64Array,
  f0: Float64Array,
  n: number,
  c: number,
  friction: number,
  time: number,
) {
  const size = n * c, steps = 20000, h = time / steps;
  const rhs = (s: Float64Array) => {
    const out = new Float64Array(2 * size);
    for (let i = 0; i < size; i++) out[i] = s[size + i];
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        for (let o = 0; o < c; o++) out[size + i * c + o] -= (k[i * n + j] * (s[j * c + o] - y[j * c + o])) / size;
      }
    }
    for (let i = 0; i < size; i++) out[size + i] += friction * s[size + i];
    return out;
  };
  let s = new Float64Array(2 * size);
  s.set(f0);
  const axpy = (a: Float64Array, b: Float64Array, w: number) => a.map((v, i) => v + w * b[i]);
  for (let step = 0; step < steps; step++) {
    const k1 = rhs(s), k2 = rhs(axpy(s, k1, h / 2)), k3 = rhs(axpy(s, k2, h / 2)), k4 = rhs(axpy(s, k3, h));
    s = s.map((v, i) => v + (h / 6) * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]));
  }
  return s.subarray(0, size);
}

Deno.test({
  name: "predictGradientDescent() with momentum follows neural-tangents' heavy-ball ODE (fixed-step RK4 oracle)",
  ...opts,
  fn: async () => {
    await tf.setBackend("cpu");
    const [n, o, lr, mu] = [8, 2, 0.25, 0.9];
    const { k, kt } = kernels(n, 3, 16, 9);
    const [y, f0] = [randn([n, o], 10), randn([n, o], 11, 0.5)];
    const [kd, yd, f0d] = await Promise.all([k, y, f0].map(read));
    const predict = await predictGradientDescent(mse, k, y, { learningRate: lr, momentum: mu });
    for (const t of [5, 40]) {
      const { train } = await predict(t, f0);
      // neural-tangents: time in units of √η, friction (μ − 1)/√η.
      const want = heavyBallRk4(kd, yd, f0d, n, o, (mu - 1) / Math.sqrt(lr), t * Math.sqrt(lr));
      const err = relError(await read(train), want);
      console.log(`  t = ${t}: ${err.toExponential(2)}`);
      assert.ok(err <= 1e-5, `t = ${t}: ${err}`);
      train.dispose();
    }
    tf.dispose([k, kt, y, f0]);
  },
});

Deno.test({
  name: "predictGradientDescent() with cross-entropy is where small-step gradient descent on linearize(f) goes",
  ...opts,
  fn: async () => {
    await tf.setBackend("cpu");
    const model = mlp("tanh", { width: 16, out: 3 });
    const params0 = model.params();
    const fLin = linearize(model.f, params0);
    const x = model.input(6, 1), xTest = model.input(3, 2);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2], "int32"), 3).toFloat();
    const ntk = empiricalNtkFn(fLin, { traceAxes: [] });
    const [k, kt] = [await ntk(x, null, params0), await ntk(xTest, x, params0)];
    // Small steps against the fastest mode (CE's Hessian ≤ 1/(2·N·O) · ... ≤ 1/(N·O)): Euler's error ~ 1e-3.
    const lr = (6 * 3) / (400 * (await ntkSpectrum(k)).eigenvalues[0]);
    const names = Object.keys(params0);
    const grads = tf.grads((...ps: tf.Tensor[]) =>
      crossEntropy(fLin(Object.fromEntries(names.map((nm, i) => [nm, ps[i]])), x), y)
    );
    let ps = names.map((nm) => tf.clone(params0[nm]));
    const steps = 1200;
    for (let s = 0; s < steps; s++) {
      const next = tf.tidy(() => grads(ps).map((g, i) => tf.sub(ps[i], tf.mul(lr, g))));
      tf.dispose(ps);
      ps = next;
    }
    const pT = Object.fromEntries(names.map((nm, i) => [nm, ps[i]]));
    const [gdTrain, gdTest] = [fLin(pT, x), fLin(pT, xTest)];
    const [f0, ft0] = [fLin(params0, x), fLin(params0, xTest)];
    const predict = await predictGradientDescent(crossEntropy, k, y, { learningRate: lr, traceAxes: [] });
    const got = await predict(steps, f0, ft0, kt);
    const moved = relError(await read(gdTrain), await read(f0));
    const errs = [
      relError(await read(got.train), await read(gdTrain)),
      relError(await read(got.test!), await read(gdTest)),
    ];
    console.log(
      `  train ${errs[0].toExponential(2)}, test ${errs[1].toExponential(2)} (outputs moved ${moved.toFixed(2)})`,
    );
    assert.ok(moved > 0.1, `training moved the outputs by ${moved} only`);
    assert.ok(errs[0] <= 3e-3 && errs[1] <= 3e-3, `${errs}`);
    fLin.dispose();
    tf.dispose([...ps, gdTrain, gdTest, f0, ft0, got.train, got.test!, k, kt, x, xTest, y, ...Object.values(params0)]);
  },
});

Deno.test({
  name: "predictGradientDescent() rejects bad arguments with a sentence naming them, leaving nothing behind",
  ...opts,
  fn: async () => {
    await tf.setBackend("cpu");
    const { k } = kernels(4, 2, 8, 12);
    const [y, yWrong, f0] = [randn([4, 2], 13), randn([5, 2], 1), randn([4, 2], 2)];
    const before = tf.memory().numTensors;
    await assert.rejects(predictGradientDescent(mse, k, y, { learningRate: -1 }), InvalidOptionError);
    await assert.rejects(predictGradientDescent(mse, k, y, { momentum: 1 }), /momentum/);
    await assert.rejects(predictGradientDescent(mse, k, y, { rtol: 0 }), /rtol/);
    await assert.rejects(predictGradientDescent(mse, k, yWrong), ShapeMismatchError);
    await assert.rejects(predictGradientDescent((fx) => tf.square(fx), k, y), /Invalid loss: expected a scalar/);
    // deno-lint-ignore no-explicit-any
    await assert.rejects(predictGradientDescent(null as any, k, y), /Invalid loss/);
    const predict = await predictGradientDescent(mse, k, y, { maxSteps: 3 });
    await assert.rejects(predict(-1), /Invalid t/);
    await assert.rejects(predict(Infinity), /Invalid t/);
    await assert.rejects(predict(1, undefined, 0), /kTestTrain/);
    await assert.rejects(predict(1e6, f0), /maxSteps/);
    const nanLoss = await predictGradientDescent((fx, yy) => tf.sum(tf.sqrt(tf.sub(fx, yy))), k, y);
    await assert.rejects(nanLoss(1, f0), /Invalid loss's gradient: it contains NaN or Infinity/);
    await assert.rejects(predictGradientDescent((fx) => tf.sum(fx).reshape([1]), k, y), /rank 0/);
    assert.equal(tf.memory().numTensors, before, "errors leave no tensors behind");
    tf.dispose([k, y, yWrong, f0]);
  },
});
