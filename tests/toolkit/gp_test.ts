// gpInference(), gradientDescentMseEnsemble(), maxLearningRate() against float64 oracles written
// here without eigendecompositions: the posterior by a hand-written Cholesky solve; the ensemble
// as the Gaussian pushed through the linearized dynamics f_t = f0 + A(t)(y − f0(X)),
// A(t) = K_td K⁻¹ (I − exp(−ηtK/n)) (matrix exponential by scaling and squaring), covariance
// K_tt − A K_tdᵀ − K_td Aᵀ + A K Aᵀ; the learning rate by power iteration and by running the
// discrete (momentum) iteration just below and just above it. Every backend; no leaks.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import {
  gpInference,
  gradientDescentMseEnsemble,
  InvalidOptionError,
  maxLearningRate,
  ShapeMismatchError,
} from "../../mod.ts";
import { randn } from "../_data.ts";
import { relError } from "../_ref.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const read = async (t: tf.Tensor) => Float64Array.from(await t.data());

// ---- float64 oracles: plain loops ----

function matmul(a: Float64Array, b: Float64Array, n: number, k: number, m: number): Float64Array {
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let l = 0; l < k; l++) for (let j = 0; j < m; j++) out[i * m + j] += a[i * k + l] * b[l * m + j];
  }
  return out;
}
const tr = (a: Float64Array, n: number, m: number) =>
  Float64Array.from({ length: n * m }, (_, i) => a[(i % n) * m + Math.floor(i / n)]);
const add = (a: Float64Array, b: Float64Array, s = 1) => a.map((v, i) => v + s * b[i]);

/** Solves a x = b for SPD a [n, n], b [n, c], by Cholesky. */
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

/** exp(a) by scaling and squaring with a degree-20 Taylor polynomial. */
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

/** Mean A y and covariance K_tt − A K_tdᵀ − K_td Aᵀ + A K Aᵀ of f0(x) + A (y − f0(X)), f0 ~ GP(0, NNGP). */
function pushForward(
  a: Float64Array,
  y: Float64Array,
  nngp: { dd: Float64Array; td: Float64Array; tt: Float64Array },
  r: number,
  n: number,
  c: number,
) {
  const mean = matmul(a, y, r, n, c);
  const aKtd = matmul(a, tr(nngp.td, r, n), r, n, r);
  const cov = add(add(nngp.tt, aKtd, -1), tr(aKtd, r, r), -1).map((v, i) =>
    v + matmul(matmul(a, nngp.dd, r, n, n), tr(a, r, n), r, n, r)[i]
  );
  return { mean, cov };
}

/** NNGP φφᵀ and NTK ψψᵀ + φφᵀ over train and test points together (so every block is consistent). */
function jointKernels(n: number, m: number, seed: number) {
  return tf.tidy(() => {
    const phi = randn([n + m, 12], seed, 1 / Math.sqrt(12)), psi = randn([n + m, 30], seed + 1, 1 / Math.sqrt(30));
    const nngp = tf.matMul(phi, phi, false, true);
    const ntk = tf.add(tf.matMul(psi, psi, false, true), nngp);
    const block = (k: tf.Tensor, r: number, c: number, rows: number, cols: number) => tf.slice(k, [r, c], [rows, cols]);
    return {
      dd: { nngp: block(nngp, 0, 0, n, n), ntk: block(ntk, 0, 0, n, n) },
      td: { nngp: block(nngp, n, 0, m, n), ntk: block(ntk, n, 0, m, n) },
      tt: { nngp: block(nngp, n, n, m, m), ntk: block(ntk, n, n, m, m) },
    };
  });
}
type Joint = ReturnType<typeof jointKernels>;
const disposeJoint = (k: Joint) => tf.dispose([...Object.values(k.dd), ...Object.values(k.td), ...Object.values(k.tt)]);

async function hostJoint(k: Joint) {
  const get = async (g: "nngp" | "ntk") => ({
    dd: await read(k.dd[g]),
    td: await read(k.td[g]),
    tt: await read(k.tt[g]),
  });
  return { nngp: await get("nngp"), ntk: await get("ntk") };
}

for (const backend of ["cpu", "wasm", "webgpu"]) {
  Deno.test({
    name: `gpInference() matches the posterior by a direct Cholesky solve (nngp, ntk, ntkgp) on ${backend}`,
    ...opts,
    fn: async () => {
      await tf.setBackend(backend);
      const [n, m, o] = [10, 5, 2];
      const k = jointKernels(n, m, 1);
      const y = randn([n, o], 3);
      const [h, yd] = [await hostJoint(k), await read(y)];
      const before = tf.memory().numTensors;
      for (const reg of [0, 0.1]) {
        const predict = await gpInference(k.dd, y, { diagReg: reg });
        const out = await predict({ get: ["nngp", "ntk", "ntkgp"], kTestTrain: k.td, kTestTest: k.tt });
        for (const mode of ["nngp", "ntk", "ntkgp"] as const) {
          const g = mode === "nngp" ? "nngp" : "ntk", init = mode === "ntkgp" ? "ntk" : "nngp";
          let trace = 0;
          for (let i = 0; i < n; i++) trace += h[g].dd[i * n + i];
          const kr = h[g].dd.map((v, i) => (i % (n + 1) === 0 ? v + (reg * trace) / n : v));
          const a = tr(cholSolve(kr, tr(h[g].td, m, n), n, m), n, m); // K_td K⁻¹, [m, n]
          const want = pushForward(a, yd, h[init], m, n, o);
          // ntkgp and nngp: K_tt − A K_tdᵀ (the A K Aᵀ − A K_tdᵀ pair cancels only without ridge), so
          // compare those against the textbook posterior formula instead.
          const cov = mode === "ntk" ? want.cov : add(h[init].tt, matmul(a, tr(h[init].td, m, n), m, n, m), -1);
          const errs = [
            relError(await read(out[mode]!.mean), want.mean),
            relError(await read(out[mode]!.covariance!), cov),
          ];
          console.log(`  diagReg ${reg} ${mode}: mean ${errs[0].toExponential(2)}, cov ${errs[1].toExponential(2)}`);
          assert.ok(errs[0] <= 1e-5 && errs[1] <= 1e-5, `${mode}: ${errs}`);
        }
        tf.dispose(Object.values(out).flatMap((gs) => [gs.mean, gs.covariance!]));
      }
      const train = await (await gpInference(k.dd, y))({ get: "ntk", computeCov: true });
      assert.deepEqual(await read(train.ntk!.mean), yd, "on the training points: N(y, 0)");
      assert.ok((await read(train.ntk!.covariance!)).every((v) => v === 0));
      tf.dispose([train.ntk!.mean, train.ntk!.covariance!]);
      assert.equal(tf.memory().numTensors, before, "no leak");
      disposeJoint(k);
      y.dispose();
    },
  });

  Deno.test({
    name: `gradientDescentMseEnsemble() matches the Gaussian pushed through exp(−ηtK/n) dynamics on ${backend}`,
    ...opts,
    fn: async () => {
      await tf.setBackend(backend);
      const [n, m, o, lr] = [10, 5, 2, 0.5];
      const k = jointKernels(n, m, 5);
      const y = randn([n, o], 7);
      const [h, yd] = [await hostJoint(k), await read(y)];
      const before = tf.memory().numTensors;
      const times = [0, 2, 30, Infinity];
      const predict = await gradientDescentMseEnsemble(k.dd, y, { learningRate: lr, diagReg: 1e-3 });
      const test = await predict(times, { kTestTrain: k.td, kTestTest: k.tt });
      const train = await predict(times, { computeCov: true });
      for (const g of ["nngp", "ntk"] as const) {
        let trace = 0;
        for (let i = 0; i < n; i++) trace += h[g].dd[i * n + i];
        const kr = h[g].dd.map((v, i) => (i % (n + 1) === 0 ? v + (1e-3 * trace) / n : v));
        const [mean, cov, trainMean] = [
          await read(test[g]!.mean),
          await read(test[g]!.covariance!),
          await read(train[g]!.mean),
        ];
        for (const [ti, t] of times.entries()) {
          // I − exp(−ηtK/n) (Infinity: I).
          const decay = t === Infinity ? new Float64Array(n * n) : expm(kr.map((v) => (-lr * t * v) / (n * o)), n);
          const moved = decay.map((v, i) => (i % (n + 1) === 0 ? 1 : 0) - v);
          const a = matmul(h[g].td, cholSolve(kr, moved, n, n), m, n, n);
          // neural-tangents' "nngp" formula uses the ridged NNGP as the prior's train block too.
          const prior = g === "nngp" ? { ...h.nngp, dd: kr } : h.nngp;
          const want = pushForward(a, yd, prior, m, n, o);
          const wantTrain = matmul(moved, yd, n, n, o); // the ridge makes this K_r⁻¹ K_r (I − e)·y
          const errs = [
            relError(mean.subarray(ti * m * o, (ti + 1) * m * o), want.mean),
            relError(cov.subarray(ti * m * m, (ti + 1) * m * m), want.cov),
            relError(trainMean.subarray(ti * n * o, (ti + 1) * n * o), wantTrain),
          ];
          console.log(
            `  ${g} t = ${t}: mean ${errs[0].toExponential(2)}, cov ${errs[1].toExponential(2)}, train mean ${
              errs[2].toExponential(2)
            }`,
          );
          assert.ok(errs.every((e) => e <= 1e-4), `${g} t = ${t}: ${errs}`);
        }
      }
      // Train-set covariance without ridge: e^{−ηtK/n} K_nngp e^{−ηtK/n} for "ntk".
      const plain = await (await gradientDescentMseEnsemble(k.dd, y))(3, { get: "ntk", computeCov: true });
      const e = expm(h.ntk.dd.map((v) => (-3 * v) / (n * o)), n);
      const wantCov = matmul(matmul(e, h.nngp.dd, n, n, n), e, n, n, n);
      const covErr = relError(await read(plain.ntk!.covariance!), wantCov);
      console.log(`  train-set NTK covariance at t = 3: ${covErr.toExponential(2)}`);
      assert.ok(covErr <= 1e-4, `${covErr}`);
      // t = ∞ is gpInference's posterior.
      const inf = await (await gpInference(k.dd, y, { diagReg: 1e-3 }))({ kTestTrain: k.td, kTestTest: k.tt });
      const last = tf.gather(test.ntk!.covariance!, 3);
      const infErr = relError(await read(last), await read(inf.ntk!.covariance!));
      last.dispose();
      assert.ok(infErr <= 1e-4, `t = ∞ vs gpInference: ${infErr}`);
      tf.dispose([
        ...Object.values(test).flatMap((gs) => [gs.mean, gs.covariance!]),
        ...Object.values(train).flatMap((gs) => [gs.mean, gs.covariance!]),
        ...Object.values(inf).flatMap((gs) => [gs.mean, gs.covariance!]),
        plain.ntk!.mean,
        plain.ntk!.covariance!,
      ]);
      assert.equal(tf.memory().numTensors, before, "no leak");
      disposeJoint(k);
      y.dispose();
    },
  });
}

Deno.test({
  name: "gpInference() and gradientDescentMseEnsemble() give the same for a traced kernel and its full K ⊗ I",
  ...opts,
  fn: async () => {
    await tf.setBackend("cpu");
    const [n, m, o] = [6, 3, 2];
    const k = jointKernels(n, m, 11);
    const y = randn([n, o], 12);
    // Full kernel [a, b, o, o] = K[a, b]·δ.
    const full = (t: tf.Tensor) =>
      tf.tidy(() => tf.mul(tf.reshape(t, [...t.shape, 1, 1]), tf.eye(o).reshape([1, 1, o, o])));
    const kf = {
      dd: { nngp: full(k.dd.nngp), ntk: full(k.dd.ntk) },
      td: { nngp: full(k.td.nngp), ntk: full(k.td.ntk) },
      tt: { nngp: full(k.tt.nngp), ntk: full(k.tt.ntk) },
    };
    const traced = await (await gpInference(k.dd, y))({ kTestTrain: k.td, kTestTest: k.tt });
    const whole = await (await gpInference(kf.dd, y, { traceAxes: [] }))({ kTestTrain: kf.td, kTestTest: kf.tt });
    const ens = await (await gradientDescentMseEnsemble(kf.dd, y, { traceAxes: [] }))(Infinity, {
      kTestTrain: kf.td,
      kTestTest: kf.tt,
    });
    assert.deepEqual(whole.ntk!.covariance!.shape, [m, m, o, o]);
    const fullCov = full(traced.ntk!.covariance!);
    const errs = [
      relError(await read(whole.ntk!.mean), await read(traced.ntk!.mean)),
      relError(await read(whole.ntk!.covariance!), await read(fullCov)),
      relError(await read(ens.ntk!.covariance!), await read(fullCov)),
    ];
    console.log(
      `  mean ${errs[0].toExponential(2)}, covariance ${errs[1].toExponential(2)}, ensemble at ∞ ${
        errs[2].toExponential(2)
      }`,
    );
    assert.ok(errs.every((e) => e <= 1e-5), `${errs}`);
    tf.dispose([
      fullCov,
      ...[traced, whole, ens].flatMap((r) => Object.values(r).flatMap((gs) => [gs.mean, gs.covariance!])),
    ]);
    disposeJoint(k);
    disposeJoint(kf);
    y.dispose();
  },
});

/** Whether the heavy-ball iteration r ← r − (η/n)K r + μ(r − r_prev) stays bounded over many steps. */
function stable(k: Float64Array, n: number, lr: number, size: number, momentum: number): boolean {
  let r = Float64Array.from({ length: n }, (_, i) => Math.sin(i + 1)), prev = Float64Array.from(r);
  for (let s = 0; s < 20000; s++) {
    const kr = matmul(k, r, n, n, 1);
    const next = r.map((v, i) => v - (lr / size) * kr[i] + momentum * (v - prev[i]));
    [prev, r] = [r, next];
  }
  return Math.max(...r.map(Math.abs)) < 10;
}

Deno.test({
  name:
    "maxLearningRate() is 2(1 + μ)·yTrainSize/λ_max: power iteration, and the iteration stable just below, unstable just above",
  ...opts,
  fn: async () => {
    await tf.setBackend("cpu");
    const n = 8;
    const k = tf.tidy(() => {
      const phi = randn([n, 20], 21, 1 / Math.sqrt(20));
      return tf.matMul(phi, phi, false, true);
    });
    const kd = await read(k);
    let v = new Float64Array(n).fill(1), lambda = 0;
    for (let i = 0; i < 5000; i++) {
      const w = matmul(kd, v, n, n, 1);
      lambda = Math.hypot(...w);
      v = w.map((x) => x / lambda);
    }
    const before = tf.memory().numTensors;
    for (const momentum of [0, 0.5]) {
      const lr = await maxLearningRate(k, { yTrainSize: n * 3, momentum });
      const want = (2 * (1 + momentum) * n * 3) / lambda;
      const err = Math.abs(lr - want) / want;
      console.log(
        `  momentum ${momentum}: ${lr.toFixed(4)} vs power iteration ${want.toFixed(4)} (${err.toExponential(2)})`,
      );
      assert.ok(err <= 1e-9, `${err}`);
      assert.ok(stable(kd, n, 0.99 * lr, n * 3, momentum) && !stable(kd, n, 1.01 * lr, n * 3, momentum));
    }
    const byDefault = await maxLearningRate(k);
    assert.ok(Math.abs(byDefault - (2 * n) / lambda) <= 1e-9 * byDefault, "default yTrainSize: the matrix size");
    await assert.rejects(maxLearningRate(k, { momentum: 1 }), InvalidOptionError);
    await assert.rejects(maxLearningRate(k, { yTrainSize: 0 }), /yTrainSize/);
    assert.equal(tf.memory().numTensors, before, "no leak");
    k.dispose();
  },
});

Deno.test({
  name: "gpInference() and gradientDescentMseEnsemble() reject bad arguments with a sentence naming them",
  ...opts,
  fn: async () => {
    await tf.setBackend("cpu");
    const k = jointKernels(4, 2, 31);
    const y = randn([4, 2], 32);
    const before = tf.memory().numTensors;
    await assert.rejects(gpInference({}, y), /Invalid kTrainTrain/);
    await assert.rejects(gpInference({ ntk: k.td.ntk }, y), ShapeMismatchError);
    await assert.rejects(gpInference(k.dd, y, { diagReg: -1 }), /diagReg/);
    const onlyNtk = await gpInference({ ntk: k.dd.ntk }, y);
    await assert.rejects(onlyNtk({ get: "nngp", kTestTrain: k.td }), /kTrainTrain.nngp/);
    await assert.rejects(onlyNtk({ get: "ntk", kTestTrain: k.td, kTestTest: k.tt }), /kTrainTrain.nngp/);
    // deno-lint-ignore no-explicit-any
    await assert.rejects(onlyNtk({ get: "gp" as any }), /Invalid get/);
    await assert.rejects(onlyNtk({ kTestTest: k.tt }), /kTestTrain/);
    const zero = await gpInference({ ntk: tf.zeros([4, 4]) }, y);
    await assert.rejects(zero({ get: "ntk", kTestTrain: k.td }), /not positive definite/);
    await assert.rejects(gradientDescentMseEnsemble(k.dd, y, { learningRate: 0 }), /learningRate/);
    const ens = await gradientDescentMseEnsemble(k.dd, y);
    await assert.rejects(ens(-1), /Invalid t/);
    await assert.rejects(ens(1, { kTestTrain: { ntk: k.tt.ntk } }), /kTestTrain/);
    assert.equal(tf.memory().numTensors, before + 1, "errors leave no tensors behind (but the zeros kernel)");
    disposeJoint(k);
    y.dispose();
  },
});
