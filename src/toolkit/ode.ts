/**
 * The Dormand–Prince 5(4) explicit Runge–Kutta method with adaptive steps (Hairer, Nørsett &
 * Wanner, "Solving Ordinary Differential Equations I", §II.4–5; the method of scipy's RK45 and
 * jax's odeint), for an autonomous system y' = F(y) on float64 host vectors.
 * @module
 */
import { InvalidOptionError } from "../core/errors.ts";

/** Tolerances of the adaptive steps: each step's error estimate ≤ atol + rtol·|y|, in RMS norm. */
export interface OdeTolerances {
  rtol: number;
  atol: number;
  /** Steps (accepted or rejected) allowed before giving up. */
  maxSteps: number;
}

const A = [
  [],
  [1 / 5],
  [3 / 40, 9 / 40],
  [44 / 45, -56 / 15, 32 / 9],
  [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
  [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
  [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84],
];
/** 5th-order weights minus the embedded 4th-order ones: the local error estimate. */
const E = [71 / 57600, 0, -71 / 16695, 71 / 1920, -17253 / 339200, 22 / 525, -1 / 40];

/** y + h·Σ w_i k_i. */
function combine(y: Float64Array, h: number, w: number[], k: Float64Array[]): Float64Array {
  const out = Float64Array.from(y);
  for (let i = 0; i < w.length; i++) {
    const c = h * w[i];
    if (c === 0) continue;
    const ki = k[i];
    for (let j = 0; j < out.length; j++) out[j] += c * ki[j];
  }
  return out;
}

/** RMS of v_j / (atol + rtol·max(|a_j|, |b_j|)). */
function scaledNorm(v: Float64Array, a: Float64Array, b: Float64Array, tol: OdeTolerances): number {
  let s = 0;
  for (let j = 0; j < v.length; j++) {
    const sc = tol.atol + tol.rtol * Math.max(Math.abs(a[j]), Math.abs(b[j]));
    s += (v[j] / sc) ** 2;
  }
  return v.length ? Math.sqrt(s / v.length) : 0;
}

/**
 * Integrates y' = F(y) from y(0) = y0 and returns y at each of `times` (finite, ≥ 0, in any
 * order). Steps end exactly on each requested time; the step size adapts by the standard
 * controller (safety 0.9, growth between 0.2× and 5×, exponent 1/5).
 * @throws {InvalidOptionError} naming `maxSteps` when the integration needs more steps
 */
export async function dormandPrince(
  rhs: (y: Float64Array) => Promise<Float64Array>,
  y0: Float64Array,
  times: readonly number[],
  tol: OdeTolerances,
): Promise<Float64Array[]> {
  const order = times.map((_, i) => i).sort((a, b) => times[a] - times[b]);
  const out: Float64Array[] = new Array(times.length);
  let y: Float64Array = Float64Array.from(y0), t = 0, steps = 0;
  let k1: Float64Array = await rhs(y);
  // Hairer's first guess: a step that moves y by about 1% of its scale.
  const d0 = scaledNorm(y, y, y, tol), d1 = scaledNorm(k1, y, y, tol);
  let h = d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : 0.01 * (d0 / d1);
  for (const i of order) {
    const target = times[i];
    while (t < target) {
      if (++steps > tol.maxSteps) {
        throw new InvalidOptionError("maxSteps", tol.maxSteps, [
          `a larger number: reaching t = ${target} needs more steps (stiff dynamics, or tolerances too tight)`,
        ]);
      }
      const last = t + h >= target;
      const step = last ? target - t : h;
      const k = [k1];
      for (let s = 1; s < 7; s++) k.push(await rhs(combine(y, step, A[s], k)));
      const next = combine(y, step, A[6], k); // FSAL: k[6] = F(next)
      const err = scaledNorm(combine(new Float64Array(y.length), step, E, k), y, next, tol);
      const factor = err === 0 ? 5 : Math.min(5, Math.max(0.2, 0.9 * err ** -0.2));
      if (err <= 1) {
        [y, t, k1] = [next, last ? target : t + step, k[6]];
        h = last ? Math.max(h, step * factor) : step * factor;
      } else {
        h = step * factor;
      }
    }
    out[i] = Float64Array.from(y);
  }
  return out;
}
