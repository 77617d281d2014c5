/**
 * Gaussian-process predictions from NNGP and NTK kernels, with neural-tangents' conventions:
 * `gpInference` (`predict.gp_inference`: the posterior of the NNGP, and the infinite-time
 * ensemble of the NTK), `gradientDescentMseEnsemble` (`predict.gradient_descent_mse_ensemble`,
 * from kernels rather than a kernel function: the mean and covariance at any time of an infinite
 * ensemble trained on MSE) and `maxLearningRate` (`predict.max_learning_rate`). All on the host in
 * float64 with ml-matrix (Cholesky for the posterior, the symmetric eigensolver of spectrum.ts for
 * finite times); the kernels are read back, so every backend works.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { CholeskyDecomposition, Matrix } from "ml-matrix";
import { InvalidOptionError, ShapeMismatchError } from "../core/errors.ts";
import type { Tensor } from "../core/types.ts";
import { checkTolerance, offsets, readKernelMatrix, symmetricEigen, symmetrize } from "./spectrum.ts";
import { checkTensor, readFinite, readTestSide, sameShape, type TargetAxes, targetAxes, transpose } from "./predict.ts";

/** NNGP and/or NTK kernels of the same inputs, as `empiricalKernelFn` returns them. */
export interface GpKernels {
  /** The NNGP kernel. */
  nngp?: Tensor;
  /** The NTK. */
  ntk?: Tensor;
}

/** The modes: the NNGP posterior, the NTK (infinite ensemble trained by gradient flow), the NTK-GP posterior. */
export type GpMode = "nngp" | "ntk" | "ntkgp";

/** A Gaussian over outputs: the mean (the outputs' shape) and, when asked for, the covariance (a zipped kernel's shape). */
export interface Gaussian {
  /** The mean: the outputs' shape (a leading time axis for an array of times). */
  mean: Tensor;
  /** The covariance, in the layout of the kernels (test-test), when asked for. */
  covariance?: Tensor;
}

/** What to predict: which modes, on which test points, and whether with covariances. */
export interface GpPredictOptions {
  /** The modes. @default ["nngp", "ntk"] */
  get?: GpMode | GpMode[];
  /** Test-train kernels (those the modes need); absent: predictions on the training points. */
  kTestTrain?: GpKernels;
  /** Test-test kernels: the NNGP (for "nngp" and "ntk") or the NTK (for "ntkgp"); needed for test covariances. */
  kTestTest?: GpKernels;
  /** Whether to compute covariances. @default true when kTestTest is given */
  computeCov?: boolean;
}

/** Options of `gpInference` and `gradientDescentMseEnsemble`: the ridge and the kernels' layout. */
export interface GpInferenceOptions {
  /** Strength of the ridge added to the train kernels' diagonal. @default 0 */
  diagReg?: number;
  /** `true`: `diagReg` in absolute units; `false`: times the mean of the diagonal (trace / size). @default false */
  diagRegAbsoluteScale?: boolean;
  /** Axes of yTrain the kernels were traced over (Θ ⊗ I along them); `[]` for full kernels. @default [-1] */
  traceAxes?: number[];
  /** Largest max|K − Kᵀ| / max|K| of a train kernel accepted as round-off. @default 1e-3 */
  symmetryTolerance?: number;
}

/** Options of `gradientDescentMseEnsemble`: those of `gpInference` and the learning rate. */
export interface GradientDescentMseEnsembleOptions extends GpInferenceOptions {
  /** Gradient descent's learning rate η; only η·t matters. @default 1 */
  learningRate?: number;
}

/** `predict(options)` of `gpInference`: a Gaussian per requested mode. */
export type GpInferenceFn = (options?: GpPredictOptions) => Promise<Partial<Record<GpMode, Gaussian>>>;

/** `predict(t, options)` of `gradientDescentMseEnsemble`: a Gaussian per mode; a leading time axis when `t` is an array. */
export type GradientDescentMseEnsembleFn = (
  t: number | readonly number[],
  options?: Omit<GpPredictOptions, "get"> & { get?: "nngp" | "ntk" | ("nngp" | "ntk")[] },
) => Promise<Partial<Record<"nngp" | "ntk", Gaussian>>>;

const MODES: readonly GpMode[] = ["nngp", "ntk", "ntkgp"];
type Name = "nngp" | "ntk";

/** The train side, read once: targets [m, c], raw and ridged train kernels. */
interface Train {
  axes: TargetAxes;
  y: Matrix;
  raw: Partial<Record<Name, Matrix>>;
  ridged: Partial<Record<Name, Matrix>>;
}

async function readTrain(kTrainTrain: GpKernels, yTrain: Tensor, options: GpInferenceOptions): Promise<Train> {
  const diagReg = checkTolerance("diagReg", options.diagReg ?? 0);
  const tolerance = checkTolerance("symmetryTolerance", options.symmetryTolerance ?? 1e-3);
  if (kTrainTrain === null || typeof kTrainTrain !== "object" || !(kTrainTrain.nngp || kTrainTrain.ntk)) {
    throw new ShapeMismatchError(
      "kTrainTrain",
      typeof kTrainTrain,
      "expected { nngp?, ntk? } with at least one kernel",
    );
  }
  checkTensor(yTrain, "yTrain");
  const axes = targetAxes(yTrain.shape, options.traceAxes ?? [-1]);
  const y = Matrix.from1DArray(axes.m, axes.c, transpose(await readFinite(yTrain, "yTrain"), axes.yShape, axes.perm));
  const raw: Train["raw"] = {}, ridged: Train["ridged"] = {};
  for (const name of ["nngp", "ntk"] as const) {
    const k = kTrainTrain[name];
    if (k === undefined) continue;
    const argument = `kTrainTrain.${name}`;
    checkTensor(k, argument);
    if (!sameShape(k.shape, axes.kShape)) {
      throw new ShapeMismatchError(argument, k.shape, `expected [${axes.kShape}] for yTrain [${axes.yShape}]`);
    }
    const { matrix, n } = await readKernelMatrix(k, argument);
    raw[name] = Matrix.from1DArray(n, n, symmetrize(matrix, n, argument, tolerance));
    const ridge = options.diagRegAbsoluteScale ? diagReg : (diagReg * raw[name].trace()) / n;
    ridged[name] = Matrix.add(raw[name], Matrix.eye(n, n).mul(ridge));
  }
  return { axes, y, raw, ridged };
}

/** The named kernel of `kernels`, or a sentence naming the argument that lacks it. */
function need(kernels: Partial<Record<Name, Matrix>>, name: Name, argument: string, why: string): Matrix {
  const k = kernels[name];
  if (!k) throw new ShapeMismatchError(`${argument}.${name}`, "missing", why);
  return k;
}

/** The test side: test-train matrices [r, m], test-test matrices [r, r], shapes of the outputs. */
interface Test {
  rows: number;
  meanShape: number[];
  covShape: number[];
  td: Partial<Record<Name, Matrix>>;
  tt: Partial<Record<Name, Matrix>>;
}

async function readTest(train: Train, kTestTrain: GpKernels, kTestTest: GpKernels | undefined): Promise<Test> {
  const test: Test = { rows: 0, meanShape: [], covShape: [], td: {}, tt: {} };
  for (const name of ["nngp", "ntk"] as const) {
    const k = kTestTrain[name];
    if (k === undefined) continue;
    const side = await readTestSide(k, 0, train.axes);
    if (test.td.nngp || test.td.ntk) {
      if (side.rows !== test.rows) {
        throw new ShapeMismatchError(`kTestTrain.${name}`, k.shape, "the kernels differ in shape");
      }
    }
    [test.rows, test.meanShape] = [side.rows, side.shape];
    test.covShape = k.shape.map((_, i) => k.shape[i - (i % 2)]); // each test axis twice
    test.td[name] = Matrix.from1DArray(side.rows, train.axes.m, side.k);
  }
  for (const name of ["nngp", "ntk"] as const) {
    const k = kTestTest?.[name];
    if (k === undefined) continue;
    const argument = `kTestTest.${name}`;
    checkTensor(k, argument);
    if (!sameShape(k.shape, test.covShape)) {
      throw new ShapeMismatchError(argument, k.shape, `expected [${test.covShape}]`);
    }
    const { matrix, n } = await readKernelMatrix(k, argument);
    test.tt[name] = Matrix.from1DArray(n, n, matrix);
  }
  return test;
}

/** Row-major matrices (one per time) as a tensor of `shape`, in the targets' axis order [m, c] → y's. */
function meanTensor(mats: Matrix[], shape: number[], axes: TargetAxes, lead: number[]): tf.Tensor {
  const permuted = axes.perm.map((a) => shape[a]);
  const parts = mats.map((m) => transpose(m.to1DArray(), permuted, axes.inverse));
  const all = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  parts.forEach((p, i) => all.set(p, i * p.length));
  return tf.tensor(all, [...lead, ...shape], "float32");
}

/** Covariance matrices [r, r] (one per time) in the zipped layout `zipped` (inverse of zippedToMatrix). */
function covTensor(mats: Matrix[], zipped: number[], lead: number[]): tf.Tensor {
  const strides = zipped.map((_, i) => zipped.slice(i + 1).reduce((a, b) => a * b, 1));
  const rowOff = offsets(zipped.filter((_, i) => i % 2 === 0), strides.filter((_, i) => i % 2 === 0));
  const colOff = offsets(zipped.filter((_, i) => i % 2 === 1), strides.filter((_, i) => i % 2 === 1));
  const size = rowOff.length * colOff.length;
  const all = new Float32Array(mats.length * size);
  mats.forEach((m, t) => {
    for (let r = 0; r < rowOff.length; r++) {
      for (let c = 0; c < colOff.length; c++) all[t * size + rowOff[r] + colOff[c]] = m.get(r, c);
    }
  });
  return tf.tensor(all, [...lead, ...zipped], "float32");
}

function modesOf(get: unknown, allowed: readonly string[]): GpMode[] {
  const list = get === undefined ? ["nngp", "ntk"] : Array.isArray(get) ? get : [get];
  if (!list.length || list.some((g) => !allowed.includes(g))) throw new InvalidOptionError("get", get, allowed);
  return [...new Set(list)] as GpMode[];
}

/** Validates a predict call's options; reads the test side when given. */
async function readPredictOptions(train: Train, options: GpPredictOptions, allowed: readonly string[]) {
  const get = modesOf(options.get, allowed);
  const computeCov = options.computeCov ?? options.kTestTest !== undefined;
  if (options.kTestTest !== undefined && options.kTestTrain === undefined) {
    throw new ShapeMismatchError("kTestTrain", null, "kTestTest was given, so kTestTrain is needed");
  }
  const test = options.kTestTrain === undefined ? null : await readTest(train, options.kTestTrain, options.kTestTest);
  return { get, computeCov, test };
}

/** A Cholesky solver of a ridged train kernel, or a sentence naming it when it is not positive definite. */
function cholesky(train: Train, name: Name): CholeskyDecomposition {
  const chol = new CholeskyDecomposition(need(train.ridged, name, "kTrainTrain", `"${name}" predictions need it`));
  if (!chol.isPositiveDefinite()) {
    throw new ShapeMismatchError(`kTrainTrain.${name}`, "singular", "not positive definite: give a diagReg > 0");
  }
  return chol;
}

/** The GP posterior of one mode on the test side (neural-tangents' gp_inference formulas). */
function posterior(
  train: Train,
  test: Test,
  mode: GpMode,
  computeCov: boolean,
  solve: (n: Name) => CholeskyDecomposition,
) {
  const k: Name = mode === "nngp" ? "nngp" : "ntk";
  const init: Name = mode === "ntkgp" ? "ntk" : "nngp"; // the kernel of the network at initialization
  const why = `"${mode}" predictions need it`;
  const td = need(test.td, k, "kTestTrain", why);
  const mean = td.mmul(solve(k).solve(train.y));
  if (!computeCov) return { mean };
  const covWhy = `"${mode}" covariances need it`;
  const tt = need(test.tt, init, "kTestTest", covWhy);
  const tdInit = need(test.td, init, "kTestTrain", covWhy);
  const term = td.mmul(solve(k).solve(tdInit.transpose())); // K_td K⁻¹ K_td,initᵀ
  if (mode !== "ntk") return { mean, cov: Matrix.sub(tt, term) };
  // NTK: the covariance of f0(x) − K_td Θ⁻¹ f0(X) with f0 ~ GP(0, NNGP).
  const t1 = solve("ntk").solve(td.transpose()); // Θ⁻¹ Θ_tdᵀ, [m, r]
  const nngp = need(train.raw, "nngp", "kTrainTrain", covWhy);
  return { mean, cov: t1.transpose().mmul(nngp).mmul(t1).sub(term).sub(term.transpose()).add(tt) };
}

/**
 * The posterior of Gaussian processes with NNGP and NTK kernels, as neural-tangents'
 * `predict.gp_inference`: "nngp" is the exact posterior of an infinitely wide Bayesian network;
 * "ntk" the distribution of an infinite ensemble of networks trained by gradient flow on MSE to
 * t = ∞ (mean Θ_td Θ⁻¹ y, covariance that of f0(x) − Θ_td Θ⁻¹ f0(X) with f0 ~ GP(0, NNGP));
 * "ntkgp" the posterior of a GP with the NTK as covariance. The ridge `diagReg` (times the mean
 * of the diagonal, unless `diagRegAbsoluteScale`) is added to the train kernels before their
 * Cholesky factorization; the NNGP train kernel inside the NTK covariance is taken as it is.
 *
 * @param kTrainTrain `{ nngp?, ntk? }`: the train-train kernels the modes need ([N, N] for
 *   `traceAxes: [-1]`, [N, N, O, O] for `[]`)
 * @param yTrain the targets
 * @param options ridge, traced axes
 * @returns `predict({ get, kTestTrain, kTestTest, computeCov })` → `{ nngp?, ntk?, ntkgp? }`, each
 *   `{ mean, covariance? }`; without `kTestTrain`, the training points: `N(yTrain, 0)`
 * @throws {ShapeMismatchError} for kernels that do not fit yTrain or each other, a kernel a mode
 *   needs and lacks, or a train kernel that is not positive definite
 * @throws {NonFiniteInputError} for NaN or ±Infinity in a kernel or the targets
 * @throws {InvalidOptionError} for a bad diagReg, traceAxes or get
 *
 * @example Usage
 * ```ts
 * // deno run --allow-read
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { empiricalKernelFn, gpInference } from "@fast-ntk/fast-ntk";
 * const f = (p: Record<string, tf.Tensor>, x: tf.Tensor | tf.Tensor[]) =>
 *   tf.matMul(tf.tanh(tf.matMul(x as tf.Tensor, p.w1)), p.w2);
 * const params = { w1: tf.randomNormal([3, 32]), w2: tf.randomNormal([32, 2]) };
 * const [xTrain, yTrain, xTest] = [tf.randomNormal([8, 3]), tf.randomNormal([8, 2]), tf.randomNormal([4, 3])];
 * const kernelFn = empiricalKernelFn(f);
 * const get = ["nngp", "ntk"] as const;
 * const predict = await gpInference(await kernelFn(xTrain, null, params, get), yTrain, { diagReg: 1e-3 });
 * const { ntk } = await predict({
 *   kTestTrain: await kernelFn(xTest, xTrain, params, get),
 *   kTestTest: await kernelFn(xTest, null, params, "nngp"),
 * });
 * assert.deepEqual(ntk!.mean.shape, [4, 2]); // posterior mean
 * assert.deepEqual(ntk!.covariance!.shape, [4, 4]); // posterior covariance (traced over outputs)
 * ```
 */
export async function gpInference(
  kTrainTrain: GpKernels,
  yTrain: Tensor,
  options: GpInferenceOptions = {},
): Promise<GpInferenceFn> {
  const train = await readTrain(kTrainTrain, yTrain, options);
  const cache = new Map<Name, CholeskyDecomposition>();
  const solve = (name: Name) => cache.get(name) ?? cache.set(name, cholesky(train, name)).get(name)!;
  return async (predictOptions = {}) => {
    const { get, computeCov, test } = await readPredictOptions(train, predictOptions, MODES);
    const { axes } = train;
    // Every host result first, so that an error leaves no tensors behind.
    const results = get.map((mode) => {
      if (test) return posterior(train, test, mode, computeCov, solve);
      need(train.raw, mode === "nngp" ? "nngp" : "ntk", "kTrainTrain", `"${mode}" predictions need it`);
      return { mean: train.y, ...(computeCov ? { cov: new Matrix(axes.m, axes.m) } : {}) };
    });
    const [meanShape, covShape] = test ? [test.meanShape, test.covShape] : [axes.yShape, axes.kShape];
    return Object.fromEntries(get.map((mode, i) => {
      const { mean, cov } = results[i];
      return [mode, {
        mean: meanTensor([mean], meanShape, axes, []),
        ...(cov ? { covariance: covTensor([cov], covShape, []) } : {}),
      }];
    }));
  };
}

/** V · diag(d) · Vᵀ. */
function inEigenbasis(v: Matrix, d: number[]): Matrix {
  const scaled = v.clone();
  d.forEach((x, j) => scaled.mulColumn(j, x));
  return scaled.mmul(v.transpose());
}

/** The eigendecomposition of a ridged train kernel, eigenvalues clipped at 0 (round-off of a PSD kernel). */
function eigenOf(k: Matrix) {
  const n = k.rows;
  const { values, vectors } = symmetricEigen(Float64Array.from(k.to1DArray()), n, true);
  return { values: Array.from(values, (l) => Math.max(l, 0)), v: Matrix.from1DArray(n, n, vectors!) };
}

/** Mean and covariance of one mode at absolute time τ (neural-tangents' gradient_descent_mse_ensemble formulas). */
function ensembleAt(
  train: Train,
  test: Test | null,
  mode: Name,
  tau: number,
  computeCov: boolean,
  eigen: typeof eigenOf,
) {
  const n = train.axes.n;
  const { values, v } = eigen(need(train.ridged, mode, "kTrainTrain", `"${mode}" predictions need it`));
  // (1 − e^{−λτ/n}) / λ, the λ → 0 direction left out as in predictGradientDescentMse.
  const decayOver = (s: number) => values.map((l) => (l > 0 ? -Math.expm1((-s * l * tau) / n) / l : 0));
  const why = `"${mode}" covariances need it`;
  if (!test) {
    const mean = inEigenbasis(v, values.map((l) => (l > 0 ? -Math.expm1((-l * tau) / n) : 0))).mmul(train.y);
    if (!computeCov) return { mean };
    if (mode === "nngp") {
      return { mean, cov: inEigenbasis(v, values.map((l) => (l > 0 ? l * Math.exp((-2 * l * tau) / n) : 0))) };
    }
    const e = inEigenbasis(v, values.map((l) => (l > 0 ? Math.exp((-l * tau) / n) : 1)));
    return { mean, cov: e.mmul(need(train.raw, "nngp", "kTrainTrain", why)).mmul(e) };
  }
  const td = need(test.td, mode, "kTestTrain", `"${mode}" predictions need it`);
  const t1 = inEigenbasis(v, decayOver(1)).mmul(td.transpose()); // [m, r]
  const mean = t1.transpose().mmul(train.y);
  if (!computeCov) return { mean };
  const tt = need(test.tt, "nngp", "kTestTest", why);
  if (mode === "nngp") {
    return { mean, cov: Matrix.sub(tt, td.mmul(inEigenbasis(v, decayOver(2))).mmul(td.transpose())) };
  }
  const term = t1.transpose().mmul(need(test.td, "nngp", "kTestTrain", why).transpose());
  const nngp = need(train.raw, "nngp", "kTrainTrain", why);
  return { mean, cov: t1.transpose().mmul(nngp).mmul(t1).sub(term).sub(term.transpose()).add(tt) };
}

/**
 * The mean and covariance of an infinite ensemble of networks trained by gradient descent on MSE
 * (continuous time, loss 0.5 · mean((f − y)²)), from their NNGP and NTK, as neural-tangents'
 * `predict.gradient_descent_mse_ensemble` — given the kernels rather than a kernel function.
 * Initial outputs f0 ~ GP(0, NNGP); under "ntk" each member follows its linearized dynamics,
 * f_t(x) = f0(x) + Θ_td Θ⁻¹ (I − e^{−ηtΘ/n})(y − f0(X)) with n = yTrain.size, so the ensemble is
 * Gaussian; under "nngp" the same with the NNGP in Θ's place (training the last layer only).
 * Train kernels are eigendecomposed once per mode (with the ridge, as `gpInference`); eigenvalues
 * ≤ 0 count as 0. `t = Infinity` gives `gpInference`'s posterior.
 *
 * @param kTrainTrain `{ nngp?, ntk? }`: the train-train kernels ("ntk" covariances need both)
 * @param yTrain the targets
 * @param options learning rate, ridge, traced axes
 * @returns `predict(t, { get, kTestTrain, kTestTest, computeCov })` → `{ nngp?, ntk? }`, each
 *   `{ mean, covariance? }`, with a leading time axis when `t` is an array; without `kTestTrain`,
 *   on the training points (covariances from the train NNGP)
 * @throws {ShapeMismatchError} for kernels that do not fit yTrain or each other, or one a mode needs and lacks
 * @throws {NonFiniteInputError} for NaN or ±Infinity in a kernel or the targets
 * @throws {InvalidOptionError} for a bad learning rate, diagReg, traceAxes, get or time
 *
 * @example Usage
 * ```ts
 * // deno run --allow-read
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { empiricalKernelFn, gradientDescentMseEnsemble } from "@fast-ntk/fast-ntk";
 * const f = (p: Record<string, tf.Tensor>, x: tf.Tensor | tf.Tensor[]) =>
 *   tf.matMul(tf.tanh(tf.matMul(x as tf.Tensor, p.w1)), p.w2);
 * const params = { w1: tf.randomNormal([3, 32]), w2: tf.randomNormal([32, 2]) };
 * const [xTrain, yTrain, xTest] = [tf.randomNormal([8, 3]), tf.randomNormal([8, 2]), tf.randomNormal([4, 3])];
 * const kernelFn = empiricalKernelFn(f);
 * const get = ["nngp", "ntk"] as const;
 * const predict = await gradientDescentMseEnsemble(await kernelFn(xTrain, null, params, get), yTrain);
 * const { ntk } = await predict([0, 100], {
 *   get: "ntk",
 *   kTestTrain: await kernelFn(xTest, xTrain, params, get),
 *   kTestTest: await kernelFn(xTest, null, params, "nngp"),
 * });
 * assert.deepEqual(ntk!.mean.shape, [2, 4, 2]); // [times, test points, outputs]
 * assert.deepEqual(ntk!.covariance!.shape, [2, 4, 4]);
 * assert.ok(tf.max(tf.abs(tf.gather(ntk!.mean, 0))).dataSync()[0] === 0); // the ensemble starts at mean 0
 * ```
 */
export async function gradientDescentMseEnsemble(
  kTrainTrain: GpKernels,
  yTrain: Tensor,
  options: GradientDescentMseEnsembleOptions = {},
): Promise<GradientDescentMseEnsembleFn> {
  const learningRate = options.learningRate ?? 1;
  if (!(Number.isFinite(learningRate) && learningRate > 0)) {
    throw new InvalidOptionError("learningRate", learningRate, ["a finite number > 0"]);
  }
  const train = await readTrain(kTrainTrain, yTrain, options);
  const cache = new Map<Matrix, ReturnType<typeof eigenOf>>();
  const eigen = (k: Matrix) => cache.get(k) ?? cache.set(k, eigenOf(k)).get(k)!;
  return async (t, predictOptions = {}) => {
    const times = typeof t === "number" ? [t] : Array.isArray(t) ? [...t] : null;
    if (!times || times.some((s) => typeof s !== "number" || !(s >= 0))) {
      throw new InvalidOptionError("t", t, ["a time ≥ 0 (Infinity: the end of training) or an array of them"]);
    }
    const { get, computeCov, test } = await readPredictOptions(train, predictOptions, ["nngp", "ntk"]);
    const { axes } = train;
    const results = (get as Name[]).map((mode) =>
      times.map((s) => ensembleAt(train, test, mode, learningRate * s, computeCov, eigen))
    );
    const lead = typeof t === "number" ? [] : [times.length];
    const [meanShape, covShape] = test ? [test.meanShape, test.covShape] : [axes.yShape, axes.kShape];
    return Object.fromEntries(get.map((mode, i) => [mode, {
      mean: meanTensor(results[i].map((r) => r.mean), meanShape, axes, lead),
      ...(computeCov ? { covariance: covTensor(results[i].map((r) => r.cov!), covShape, lead) } : {}),
    }]));
  };
}

/**
 * The largest learning rate for which gradient descent (with momentum μ) on MSE stays stable,
 * with neural-tangents' convention (`predict.max_learning_rate`): the loss
 * 0.5 · ‖f − y‖² / yTrainSize makes each step multiply the residual by I − η Θ / yTrainSize, a
 * contraction while η < 2 · yTrainSize / λ_max(Θ); with momentum, 2 (1 + μ) · yTrainSize / λ_max.
 * Returns 2 (1 + μ) · yTrainSize / (λ_max + eps). λ_max is that of the kernel as one matrix:
 * [N, N], or [N·O, N·O] for a full kernel [N, N, O, O].
 *
 * @param kTrainTrain the NTK of the training inputs, [N, N] or [N, N, O, O]
 * @param options `yTrainSize`: the number of entries of yTrain (default: the kernel matrix's
 *   size, right for a full kernel; for a kernel traced over O outputs pass N·O); `momentum`
 *   (default 0); `eps` against a zero kernel (default 1e-12)
 * @returns the learning rate
 * @throws {ShapeMismatchError} for a kernel that is not square or not symmetric
 * @throws {NonFiniteInputError} for NaN or ±Infinity in the kernel
 * @throws {InvalidOptionError} for a bad yTrainSize, momentum or eps
 *
 * @example Usage
 * ```ts
 * // deno run --allow-read
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { maxLearningRate } from "@fast-ntk/fast-ntk";
 * const k = tf.tensor2d([[2, 0], [0, 1]]); // λ_max = 2
 * assert.ok(Math.abs((await maxLearningRate(k, { yTrainSize: 6 })) - 6) < 1e-9); // 2 · 6 / 2
 * ```
 */
export async function maxLearningRate(
  kTrainTrain: Tensor,
  options: { yTrainSize?: number; momentum?: number; eps?: number } = {},
): Promise<number> {
  const { momentum = 0, eps = 1e-12 } = options;
  if (options.yTrainSize !== undefined && !(Number.isInteger(options.yTrainSize) && options.yTrainSize > 0)) {
    throw new InvalidOptionError("yTrainSize", options.yTrainSize, ["a whole number > 0"]);
  }
  if (!(typeof momentum === "number" && momentum >= 0 && momentum < 1)) {
    throw new InvalidOptionError("momentum", momentum, ["a number in [0, 1)"]);
  }
  checkTolerance("eps", eps);
  const { matrix, n } = await readKernelMatrix(kTrainTrain, "kTrainTrain");
  const { values } = symmetricEigen(symmetrize(matrix, n, "kTrainTrain", 1e-3), n);
  return (2 * (1 + momentum) * (options.yTrainSize ?? n)) / (values[0] + eps);
}
