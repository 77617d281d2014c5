/**
 * `predictGradientDescentMse`: the outputs of a linearized network trained by continuous-time
 * gradient descent on MSE, in closed form from its NTK — neural-tangents'
 * `predict.gradient_descent_mse`, with the same conventions.
 *
 * The loss is 0.5 · mean over all n = yTrain.size entries of (f − y)², so under gradient flow
 * with learning rate η, f_train(t) = y + exp(−η t Θ / n) (f0 − y) and
 * f_test(t) = f_test0 + Θ_test,train Θ⁻¹ (exp(−η t Θ / n) − I) (f0 − y). Both are evaluated in
 * the eigenbasis of the (diag-regularized, symmetrized) train kernel Θ = V Λ Vᵀ, with expm1 for
 * accuracy at small t. The work is done on the host in float64 (the eigensolver of spectrum.ts).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { InvalidOptionError, NonFiniteInputError, ShapeMismatchError } from "../core/errors.ts";
import { checkTolerance, offsets, symmetricEigen, symmetrize, zippedToMatrix } from "./spectrum.ts";
import type { Tensor } from "../core/types.ts";

/** Options of `predictGradientDescentMse`: learning rate, ridge and the kernels' layout. */
export interface PredictGradientDescentMseOptions {
  /** Gradient descent's learning rate η; only η·t matters. @default 1 */
  learningRate?: number;
  /** Strength of the ridge added to the train kernel's diagonal. @default 0 */
  diagReg?: number;
  /**
   * `true`: `diagReg` is in absolute units; `false`: it is multiplied by the mean of the train
   * kernel's diagonal (trace / size). @default false
   */
  diagRegAbsoluteScale?: boolean;
  /**
   * Axes of yTrain that the kernels were traced over (the `traceAxes` given to empiricalNtkFn):
   * the kernels lack them and stand for Θ ⊗ I along them. `[]` for full kernels. @default [-1]
   */
  traceAxes?: number[];
  /** Largest max|K − Kᵀ| / max|K| accepted as float32 round-off. @default 1e-3 */
  symmetryTolerance?: number;
}

/** Predicted outputs: a leading time axis when `t` is an array. */
export interface GradientDescentMsePrediction {
  /** f_train(t), with yTrain's shape. */
  train: Tensor;
  /** f_test(t), when `kTestTrain` was given. */
  test?: Tensor;
}

/**
 * Outputs at time(s) `t` (Infinity: the end of training, kernel ridge regression), from the
 * initial outputs (default 0) and, for test outputs, the test-train kernel.
 */
export type PredictGradientDescentMseFn = (
  t: number | readonly number[],
  fTrain0?: Tensor | number,
  fTest0?: Tensor | number,
  kTestTrain?: Tensor,
) => Promise<GradientDescentMsePrediction>;

export const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Host transpose of a row-major array: out has shape perm.map(i => shape[i]). */
export function transpose(data: ArrayLike<number>, shape: readonly number[], perm: readonly number[]): Float64Array {
  const strides = shape.map((_, i) => size(shape.slice(i + 1)));
  const from = offsets(perm.map((p) => shape[p]), perm.map((p) => strides[p]));
  return Float64Array.from(from, (o) => data[o]);
}

export function checkTensor(t: unknown, argument: string): tf.Tensor {
  if (!(t instanceof tf.Tensor)) throw new ShapeMismatchError(argument, typeof t, "expected a tf.Tensor");
  if (t.isDisposed) throw new ShapeMismatchError(argument, "disposed", "the tensor is disposed");
  return t;
}

export async function readFinite(t: tf.Tensor, argument: string): Promise<Float64Array> {
  const data = Float64Array.from(await t.data());
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) throw new NonFiniteInputError(argument);
  return data;
}

export const sameShape = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/** Reads an initial output: a number (broadcast) or a tensor of exactly `shape`. */
export async function readInitial(f0: tf.Tensor | number | undefined, shape: number[], argument: string) {
  if (f0 === undefined || typeof f0 === "number") {
    if (f0 !== undefined && !Number.isFinite(f0)) throw new NonFiniteInputError(argument);
    return new Float64Array(size(shape)).fill(f0 ?? 0);
  }
  checkTensor(f0, argument);
  if (!sameShape(f0.shape, shape)) throw new ShapeMismatchError(argument, f0.shape, `expected [${shape}]`);
  return await readFinite(f0, argument);
}

/**
 * Predicts the outputs of gradient descent on the MSE loss 0.5 · mean((f − y)²) in function space,
 * in closed form from the NTK (continuous time: the limit of small steps), as neural-tangents'
 * `predict.gradient_descent_mse`. Time `t` is in steps of `learningRate`: after s steps of
 * gradient descent with a small learning rate η, the outputs of a model linear in its parameters
 * are `predict(s)` with `learningRate: η`.
 *
 * The train kernel is eigendecomposed once, here (on the host, in float64); each `predict` call
 * then costs O(M² · C) per time for M = N·(untraced output entries), C = traced entries.
 * Eigenvalues ≤ 0 (round-off of a PSD kernel) are taken as 0: those directions do not move.
 *
 * @param kTrainTrain the NTK of the training inputs with themselves: [N, N] for the default
 *   `traceAxes: [-1]` and yTrain [N, O]; [N, N, O, O] for `traceAxes: []`
 * @param yTrain the targets, [N, O] (or [N, …] with the kernel zipped over the untraced axes)
 * @param options learning rate, diagonal regularization, traced axes
 * @returns `predict(t, fTrain0?, fTest0?, kTestTrain?)` → `{ train, test? }`; `t` a time ≥ 0,
 *   Infinity (kernel ridge regression), or an array of times (a leading time axis)
 * @throws {ShapeMismatchError} for kernels whose shapes do not fit yTrain, or a non-symmetric train kernel
 * @throws {NonFiniteInputError} for NaN or ±Infinity in a kernel, the targets or initial outputs
 * @throws {InvalidOptionError} for a bad learning rate, diagReg, traceAxes or time
 *
 * @example Usage
 * ```ts
 * // deno run --allow-read
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { empiricalNtkFn, predictGradientDescentMse } from "@fast-ntk/fast-ntk";
 * const f = (p: Record<string, tf.Tensor>, x: tf.Tensor | tf.Tensor[]) =>
 *   tf.matMul(tf.tanh(tf.matMul(x as tf.Tensor, p.w1)), p.w2);
 * const params = { w1: tf.randomNormal([3, 16]), w2: tf.randomNormal([16, 2]) };
 * const [xTrain, yTrain, xTest] = [tf.randomNormal([8, 3]), tf.randomNormal([8, 2]), tf.randomNormal([4, 3])];
 * const ntk = empiricalNtkFn(f); // traceAxes [-1]: kernels [N1, N2]
 * const predict = await predictGradientDescentMse(await ntk(xTrain, null, params), yTrain, { diagReg: 1e-4 });
 * const fTrain0 = f(params, xTrain) as tf.Tensor, fTest0 = f(params, xTest) as tf.Tensor;
 * const { train, test } = await predict([0, 10, Infinity], fTrain0, fTest0, await ntk(xTest, xTrain, params));
 * // train: [3, 8, 2], test: [3, 4, 2]; at t = 0 the outputs are f's, at t = ∞ the training targets (nearly: diagReg)
 * assert.deepEqual(train!.shape, [3, 8, 2]);
 * assert.deepEqual(test!.shape, [3, 4, 2]);
 * assert.ok(tf.max(tf.abs(tf.sub(tf.gather(train!, 0), fTrain0))).dataSync()[0] < 1e-4);
 * assert.ok(tf.max(tf.abs(tf.sub(tf.gather(train!, 2), yTrain))).dataSync()[0] < 1e-2);
 * ```
 */
export async function predictGradientDescentMse(
  kTrainTrain: Tensor,
  yTrain: Tensor,
  options: PredictGradientDescentMseOptions = {},
): Promise<PredictGradientDescentMseFn> {
  const learningRate = options.learningRate ?? 1;
  if (!(Number.isFinite(learningRate) && learningRate > 0)) {
    throw new InvalidOptionError("learningRate", learningRate, ["a finite number > 0"]);
  }
  const diagReg = checkTolerance("diagReg", options.diagReg ?? 0);
  const tolerance = checkTolerance("symmetryTolerance", options.symmetryTolerance ?? 1e-3);
  checkTensor(kTrainTrain, "kTrainTrain");
  checkTensor(yTrain, "yTrain");
  const axes = targetAxes(yTrain.shape, options.traceAxes ?? [-1]);
  const { yShape, perm, kShape } = axes;
  if (!sameShape(kTrainTrain.shape, kShape)) {
    throw new ShapeMismatchError(
      "kTrainTrain",
      kTrainTrain.shape,
      `expected [${kShape}] for yTrain [${yShape}] with traceAxes [${axes.traced}]`,
    );
  }
  const y = transpose(await readFinite(yTrain, "yTrain"), yShape, perm); // [m, c]
  const k = zippedToMatrix(await readFinite(kTrainTrain, "kTrainTrain"), kShape).matrix;
  const eigen = ridgeEigen(k, axes.m, options.diagRegAbsoluteScale ? diagReg : null, diagReg, tolerance);
  const train: TrainSide = { ...axes, y, ...eigen, learningRate };

  return async (t, fTrain0, fTest0, kTestTrain) => {
    const times = typeof t === "number" ? [t] : Array.isArray(t) ? [...t] : null;
    if (!times || times.some((s) => typeof s !== "number" || !(s >= 0))) {
      throw new InvalidOptionError("t", t, ["a time ≥ 0 (Infinity: the end of training) or an array of them"]);
    }
    if (fTest0 !== undefined && kTestTrain === undefined) {
      throw new ShapeMismatchError("kTestTrain", null, "fTest0 was given, so kTestTrain is needed");
    }
    const f0 = transpose(await readInitial(fTrain0, yShape, "fTrain0"), yShape, perm);
    const test = kTestTrain === undefined ? null : await readTestSide(kTestTrain, fTest0, axes);
    const { trainOut, testOut } = predictAt(train, times, f0, test);
    const lead = typeof t === "number" ? [] : [times.length];
    const stack = (parts: Float32Array[], shape: number[]) => {
      const all = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
      parts.forEach((p, i) => all.set(p, i * p.length));
      return tf.tensor(all, [...lead, ...shape], "float32");
    };
    return {
      train: stack(trainOut, yShape),
      ...(test ? { test: stack(testOut, test.shape) } : {}),
    };
  };
}

/** The axes of y: untraced first (the kernel's zipped axes), traced last (Θ ⊗ I along them). */
export interface TargetAxes {
  yShape: number[];
  traced: number[];
  untraced: number[];
  /** y's axes reordered untraced first, and back. */
  perm: number[];
  inverse: number[];
  /** The train kernel's shape: each untraced axis twice. */
  kShape: number[];
  /** Untraced entries (the kernel matrix's side), traced entries, all entries of y. */
  m: number;
  c: number;
  n: number;
}

export function targetAxes(yShape: number[], given: number[]): TargetAxes {
  const rank = yShape.length;
  if (rank < 1) throw new ShapeMismatchError("yTrain", yShape, "expected a leading example axis");
  const traced = Array.isArray(given)
    ? [...new Set(given.map((a) => (a < 0 ? a + rank : a)))].sort((a, b) => a - b)
    : [NaN];
  if (traced.some((a) => !Number.isInteger(a) || a < 1 || a >= rank)) {
    throw new InvalidOptionError("traceAxes", given, [`axes of yTrain [${yShape}] other than the example axis 0`]);
  }
  const untraced = yShape.map((_, i) => i).filter((i) => !traced.includes(i));
  const perm = [...untraced, ...traced];
  return {
    yShape,
    traced,
    untraced,
    perm,
    inverse: perm.map((_, i) => perm.indexOf(i)),
    kShape: untraced.flatMap((a) => [yShape[a], yShape[a]]),
    m: size(untraced.map((a) => yShape[a])),
    c: size(traced.map((a) => yShape[a])),
    n: size(yShape), // the MSE's mean runs over every entry of y
  };
}

/**
 * The eigendecomposition of the train kernel [m, m] with its ridge on the diagonal: `absolute`
 * in absolute units, or else `relative` times the mean of the diagonal.
 */
export function ridgeEigen(k: Float64Array, m: number, absolute: number | null, relative: number, tolerance: number) {
  let trace = 0;
  for (let i = 0; i < m; i++) trace += k[i * m + i];
  const ridge = absolute ?? (relative * trace) / m;
  for (let i = 0; i < m; i++) k[i * m + i] += ridge;
  const { values, vectors } = symmetricEigen(symmetrize(k, m, "kTrainTrain", tolerance), m, true);
  return { values, v: vectors! };
}

/** The train side, decomposed once: targets [m, c], Θ's eigenvalues and vectors. */
interface TrainSide extends TargetAxes {
  y: Float64Array;
  values: Float64Array;
  v: Float64Array;
  learningRate: number;
}

/** The test side of a prediction: Θ_test,train as a matrix, its outputs' shape, f_test0. */
export interface TestSide {
  k: Float64Array;
  rows: number;
  shape: number[];
  f0: Float64Array;
}

/** Reads kTestTrain and fTest0: the test untraced dims come from kTestTrain's even axes, the traced ones from y. */
export async function readTestSide(
  kTestTrain: Tensor,
  fTest0: Tensor | number | undefined,
  axes: TargetAxes,
): Promise<TestSide> {
  const { yShape, untraced, kShape, perm } = axes;
  checkTensor(kTestTrain, "kTestTrain");
  const s = kTestTrain.shape;
  const fits = s.length === kShape.length && s.every((d, i) => i % 2 === 0 || d === kShape[i]);
  if (!fits) {
    const want = untraced.flatMap((a) => [a === 0 ? "Ntest" : "·", yShape[a]]);
    throw new ShapeMismatchError("kTestTrain", s, `expected [${want}] for yTrain [${yShape}]`);
  }
  const shape = [...yShape];
  untraced.forEach((a, i) => (shape[a] = s[2 * i]));
  const { matrix, rows } = zippedToMatrix(await readFinite(kTestTrain, "kTestTrain"), s);
  const initial = transpose(await readInitial(fTest0, shape, "fTest0"), shape, perm);
  return { k: matrix, rows, shape, f0: initial };
}

/** The train (and test) outputs at each time, in y's axis order, as float32. */
function predictAt(train: TrainSide, times: number[], f0: Float64Array, test: TestSide | null) {
  const { m, c, n, v, values, y, perm, inverse, yShape } = train;
  // Residual in the eigenbasis: r = Vᵀ (f0 − y), [m, c].
  const r = new Float64Array(m * c);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      const vij = v[i * m + j];
      for (let o = 0; o < c; o++) r[j * c + o] += vij * (f0[i * c + o] - y[i * c + o]);
    }
  }
  const trainOut: Float32Array[] = [], testOut: Float32Array[] = [];
  const g = new Float64Array(m), h = new Float64Array(m);
  for (const time of times) {
    const tau = train.learningRate * time;
    for (let j = 0; j < m; j++) {
      // Eigenvalues ≤ 0 are clipped to 0 (as neural-tangents): expm1(0) = 0, and the test
      // factor's λ → 0 limit is taken as 0 too (neural-tangents' expm1/|λ| would give NaN at 0).
      const lam = values[j];
      g[j] = lam > 0 ? Math.expm1((-lam * tau) / n) : 0;
      h[j] = lam > 0 ? g[j] / lam : 0;
    }
    trainOut.push(Float32Array.from(transpose(apply(v, g, r, f0, m, c), perm.map((a) => yShape[a]), inverse)));
    if (test) {
      const { shape } = test;
      const w = apply(v, h, r, new Float64Array(m * c), m, c); // Θ⁻¹(e^{−ηtΘ/n} − I)(f0 − y)
      const out = Float64Array.from(test.f0);
      for (let i = 0; i < test.rows; i++) {
        for (let j = 0; j < m; j++) {
          const kij = test.k[i * m + j];
          for (let o = 0; o < c; o++) out[i * c + o] += kij * w[j * c + o];
        }
      }
      testOut.push(Float32Array.from(transpose(out, perm.map((a) => shape[a]), inverse)));
    }
  }
  return { trainOut, testOut };
}

/** base + V · diag(scale) · r, all [m, c] row-major. */
function apply(v: Float64Array, scale: Float64Array, r: Float64Array, base: Float64Array, m: number, c: number) {
  const out = Float64Array.from(base);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      const a = v[i * m + j] * scale[j];
      if (a === 0) continue;
      for (let o = 0; o < c; o++) out[i * c + o] += a * r[j * c + o];
    }
  }
  return out;
}
