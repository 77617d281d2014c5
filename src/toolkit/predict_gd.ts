/**
 * `predictGradientDescent`: the outputs of a linearized network trained by continuous-time
 * gradient descent (optionally with momentum) on any differentiable loss of its outputs —
 * neural-tangents' `predict.gradient_descent`, with the same conventions.
 *
 * Function-space dynamics: df/dt = −Θ · ∇_f L(f, y) with time in units of the learning rate η
 * (absolute time η·t). With momentum μ, neural-tangents' continuous heavy ball: time in units of
 * √η, and f'' = −Θ · ∇_f L + (μ − 1)/√η · f'. The ODE is integrated on the host in float64 by
 * the adaptive Dormand–Prince 5(4) method (ode.ts); only ∇_f L is computed by tfjs (`tf.grad` of
 * the loss, float32, on the current backend).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { InvalidOptionError, NonFiniteInputError, ShapeMismatchError } from "../core/errors.ts";
import type { Tensor } from "../core/types.ts";
import { dormandPrince, type OdeTolerances } from "./ode.ts";
import {
  checkTensor,
  type GradientDescentMsePrediction,
  readFinite,
  readInitial,
  readTestSide,
  sameShape,
  type TargetAxes,
  targetAxes,
  type TestSide,
  transpose,
} from "./predict.ts";
import { zippedToMatrix } from "./spectrum.ts";

/** A loss of the train outputs `fx` (yTrain's shape) and the targets `y`: a scalar tensor. */
export type OutputLoss = (fx: Tensor, y: Tensor) => Tensor;

/** Options of `predictGradientDescent`: learning rate, momentum, layout and ODE tolerances. */
export interface PredictGradientDescentOptions {
  /** Gradient descent's learning rate η. @default 1 */
  learningRate?: number;
  /** Heavy-ball momentum μ in [0, 1); absent: plain gradient descent. */
  momentum?: number;
  /** Axes of yTrain the kernels were traced over (Θ ⊗ I along them); `[]` for full kernels. @default [-1] */
  traceAxes?: number[];
  /** Relative tolerance of each ODE step. @default 1e-6 */
  rtol?: number;
  /** Absolute tolerance of each ODE step, in units of the outputs. @default 1e-8 */
  atol?: number;
  /** ODE steps allowed per call before giving up. @default 100000 */
  maxSteps?: number;
}

/** Outputs at time(s) `t` (finite, ≥ 0, in steps), from the initial outputs (default 0). */
export type PredictGradientDescentFn = (
  t: number | readonly number[],
  fTrain0?: Tensor | number,
  fTest0?: Tensor | number,
  kTestTrain?: Tensor,
) => Promise<GradientDescentMsePrediction>;

function positive(name: string, value: number | undefined, fallback: number, allowZero = false): number {
  const v = value ?? fallback;
  if (!(typeof v === "number" && Number.isFinite(v) && (v > 0 || (allowZero && v === 0)))) {
    throw new InvalidOptionError(name, v, [allowZero ? "a finite number ≥ 0" : "a finite number > 0"]);
  }
  return v;
}

/** ∇_f L at host outputs `f` ([m, c] order), back in [m, c] order: one tfjs gradient, read back. */
function lossGradient(loss: OutputLoss, yData: Float32Array, axes: TargetAxes) {
  const { yShape, perm, inverse } = axes;
  const permuted = perm.map((a) => yShape[a]);
  const grad = tf.grad((fx: tf.Tensor) => loss(fx, tf.tensor(yData, yShape)));
  return async (f: Float64Array): Promise<Float64Array> => {
    const fx = Float32Array.from(transpose(f, permuted, inverse));
    const g = tf.tidy(() => grad(tf.tensor(fx, yShape)));
    try {
      const data = await g.data();
      // A NaN gradient would silently poison every later output.
      for (let i = 0; i < data.length; i++) {
        if (!Number.isFinite(data[i])) throw new NonFiniteInputError("loss's gradient");
      }
      return transpose(data, yShape, perm);
    } finally {
      g.dispose();
    }
  };
}

/** Checks once that the loss returns a scalar (rank 0, as tf.grad needs) at (y, y). */
function checkLoss(loss: OutputLoss, yData: Float32Array, yShape: number[]): void {
  if (typeof loss !== "function") throw new InvalidOptionError("loss", typeof loss, ["a function (fx, y) => scalar"]);
  const value = tf.tidy(() => {
    const l = loss(tf.tensor(yData, yShape), tf.tensor(yData, yShape));
    if (!(l instanceof tf.Tensor) || l.rank !== 0) {
      throw new ShapeMismatchError(
        "loss",
        l instanceof tf.Tensor ? l.shape : typeof l,
        "expected a scalar tensor (rank 0)",
      );
    }
    return tf.clone(l);
  });
  value.dispose();
}

/** out[i] = Σ_j k[i, j] · g[j, :] (k row-major [rows, m], g [m, c]), scaled by `sign`. */
function contract(k: Float64Array, rows: number, g: Float64Array, m: number, c: number, sign: number) {
  const out = new Float64Array(rows * c);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < m; j++) {
      const a = sign * k[i * m + j];
      for (let o = 0; o < c; o++) out[i * c + o] += a * g[j * c + o];
    }
  }
  return out;
}

/**
 * Predicts the outputs of gradient descent on any differentiable `loss(fx, y)` of the train
 * outputs, in function space from the NTK, as neural-tangents' `predict.gradient_descent`:
 * df/dt = −Θ ∇_f L(f, y) for the train outputs and df_test/dt = −Θ_test,train ∇_f L for the test
 * outputs, with t in steps of `learningRate` (absolute time η·t). With `momentum` μ, the
 * continuous heavy ball of neural-tangents: f'' = −Θ ∇_f L + (μ − 1)/√η · f', t in units of √η
 * (so η and t are then not interchangeable), starting at rest.
 *
 * ODE method: adaptive Dormand–Prince 5(4) (the method of scipy's RK45 and jax's odeint) in
 * float64 on the host, each step's local error ≤ atol + rtol·|f| (RMS); ∇_f L comes from `tf.grad`
 * of `loss` in float32 on the current backend, one call per stage (7 per step). Explicit: very
 * stiff dynamics (η t λ_max ≫ 1 in the loss's units) take many steps. For MSE,
 * `predictGradientDescentMse` gives the same in closed form.
 *
 * @param loss `(fx, y) => scalar`: a tfjs function of the train outputs (yTrain's shape) and
 *   targets, e.g. `(fx, y) => tf.neg(tf.mean(tf.mul(tf.logSoftmax(fx), y)))`
 * @param kTrainTrain the NTK of the training inputs: [N, N] for `traceAxes: [-1]`, [N, N, O, O] for `[]`
 * @param yTrain the targets, [N, O] (or [N, …])
 * @param options learning rate, momentum, traced axes, ODE tolerances
 * @returns `predict(t, fTrain0?, fTest0?, kTestTrain?)` → `{ train, test? }`; `t` finite, ≥ 0,
 *   or an array of them (a leading time axis)
 * @throws {ShapeMismatchError} for kernels that do not fit yTrain, or a loss that is not scalar
 * @throws {NonFiniteInputError} for NaN or ±Infinity in a kernel, the targets or initial outputs, or
 *   (from `predict`) in the loss's gradient along the way
 * @throws {InvalidOptionError} for a bad option or time, or an ODE that needs over `maxSteps` steps
 *
 * @example Usage
 * ```ts
 * // deno run --allow-read
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { empiricalNtkFn, predictGradientDescent } from "@fast-ntk/fast-ntk";
 * const f = (p: Record<string, tf.Tensor>, x: tf.Tensor | tf.Tensor[]) =>
 *   tf.matMul(tf.tanh(tf.matMul(x as tf.Tensor, p.w1)), p.w2);
 * const params = { w1: tf.randomNormal([3, 16]), w2: tf.randomNormal([16, 3]) };
 * const xTrain = tf.randomNormal([6, 3]);
 * const yTrain = tf.oneHot([0, 1, 2, 0, 1, 2], 3).toFloat();
 * const ntk = empiricalNtkFn(f, { traceAxes: [] }); // full kernels [N, N, O, O]
 * const crossEntropy = (fx: tf.Tensor, y: tf.Tensor) => tf.neg(tf.mean(tf.mul(tf.logSoftmax(fx), y)));
 * const predict = await predictGradientDescent(crossEntropy, await ntk(xTrain, null, params), yTrain, {
 *   learningRate: 1,
 *   traceAxes: [],
 * });
 * const fTrain0 = f(params, xTrain) as tf.Tensor;
 * const { train } = await predict([0, 1000], fTrain0); // [2, 6, 3]
 * const loss = (fx: tf.Tensor) => crossEntropy(fx, yTrain).dataSync()[0];
 * assert.ok(loss(tf.gather(train, 1)) < loss(fTrain0)); // training lowers the loss
 * ```
 */
export async function predictGradientDescent(
  loss: OutputLoss,
  kTrainTrain: Tensor,
  yTrain: Tensor,
  options: PredictGradientDescentOptions = {},
): Promise<PredictGradientDescentFn> {
  const learningRate = positive("learningRate", options.learningRate, 1);
  const momentum = options.momentum;
  if (momentum !== undefined && !(typeof momentum === "number" && momentum >= 0 && momentum < 1)) {
    throw new InvalidOptionError("momentum", momentum, ["a number in [0, 1)", "undefined (no momentum)"]);
  }
  const maxSteps = positive("maxSteps", options.maxSteps, 100000);
  const tol: OdeTolerances = {
    rtol: positive("rtol", options.rtol, 1e-6),
    atol: positive("atol", options.atol, 1e-8, true),
    maxSteps,
  };
  checkTensor(kTrainTrain, "kTrainTrain");
  checkTensor(yTrain, "yTrain");
  const axes = targetAxes(yTrain.shape, options.traceAxes ?? [-1]);
  if (!sameShape(kTrainTrain.shape, axes.kShape)) {
    throw new ShapeMismatchError(
      "kTrainTrain",
      kTrainTrain.shape,
      `expected [${axes.kShape}] for yTrain [${axes.yShape}] with traceAxes [${axes.traced}]`,
    );
  }
  const yData = Float32Array.from(await readFinite(yTrain, "yTrain"));
  checkLoss(loss, yData, axes.yShape);
  const k = zippedToMatrix(await readFinite(kTrainTrain, "kTrainTrain"), axes.kShape).matrix;
  const gradient = lossGradient(loss, yData, axes);
  // Neural-tangents' units: time η·t without momentum; with it √η·t and friction (μ − 1)/√η.
  const timeScale = momentum === undefined ? learningRate : Math.sqrt(learningRate);
  const friction = momentum === undefined ? null : (momentum - 1) / Math.sqrt(learningRate);

  return async (t, fTrain0, fTest0, kTestTrain) => {
    const times = typeof t === "number" ? [t] : Array.isArray(t) ? [...t] : null;
    if (!times || times.some((s) => !(typeof s === "number" && Number.isFinite(s) && s >= 0))) {
      throw new InvalidOptionError("t", t, ["a finite time ≥ 0 or an array of them"]);
    }
    if (fTest0 !== undefined && kTestTrain === undefined) {
      throw new ShapeMismatchError("kTestTrain", null, "fTest0 was given, so kTestTrain is needed");
    }
    const { yShape, perm, inverse, m, c } = axes;
    const f0 = transpose(await readInitial(fTrain0, yShape, "fTrain0"), yShape, perm);
    const test = kTestTrain === undefined ? null : await readTestSide(kTestTrain, fTest0, axes);
    const states = await dormandPrince(
      dynamics(gradient, k, test, m, c, friction),
      initialState(f0, test, friction !== null),
      times.map((s) => s * timeScale),
      tol,
    );
    const lead = typeof t === "number" ? [] : [times.length];
    const unpack = (from: number, rows: number, shape: number[]) => {
      const all = new Float32Array(states.length * rows * c);
      states.forEach((s, i) => {
        const part = transpose(s.subarray(from, from + rows * c), perm.map((a) => shape[a]), inverse);
        all.set(part, i * rows * c);
      });
      return tf.tensor(all, [...lead, ...shape], "float32");
    };
    return {
      train: unpack(0, m, yShape),
      ...(test ? { test: unpack(m * c, test.rows, test.shape) } : {}),
    };
  };
}

/** The ODE state: train outputs, test outputs, then (with momentum) their velocities, all at rest. */
function initialState(f0: Float64Array, test: TestSide | null, withVelocity: boolean): Float64Array {
  const n = f0.length + (test?.f0.length ?? 0);
  const y = new Float64Array(withVelocity ? 2 * n : n);
  y.set(f0);
  if (test) y.set(test.f0, f0.length);
  return y;
}

/** F(state): the function-space gradient flow (or heavy ball, with `friction`). */
function dynamics(
  gradient: (f: Float64Array) => Promise<Float64Array>,
  k: Float64Array,
  test: TestSide | null,
  m: number,
  c: number,
  friction: number | null,
) {
  const n = (m + (test?.rows ?? 0)) * c;
  return async (y: Float64Array): Promise<Float64Array> => {
    const g = await gradient(y.subarray(0, m * c));
    const force = new Float64Array(n);
    force.set(contract(k, m, g, m, c, -1));
    if (test) force.set(contract(test.k, test.rows, g, m, c, -1), m * c);
    if (friction === null) return force;
    const out = new Float64Array(2 * n);
    out.set(y.subarray(n)); // f' = v
    for (let i = 0; i < n; i++) out[n + i] = force[i] + friction * y[n + i]; // v' = −Θ∇L + friction·v
    return out;
  };
}
