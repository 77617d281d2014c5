// ntkSpectrum(): known spectra of Q·diag(λ)·Qᵀ (traced and full layouts, every backend), the
// condition number and effective-rank formulas, the symmetry check, named errors, no leaks.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { empiricalNtkFn, InvalidOptionError, NonFiniteInputError, ntkSpectrum, ShapeMismatchError } from "../../mod.ts";
import { heatmapSvg } from "../../src/core/plot.ts";
import { rng } from "../_data.ts";
import { mlp } from "../ntk/_models.ts";
import { NATIVE_IF_PRESENT } from "../_native.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** A random orthogonal n × n matrix (row-major, float64): Gram–Schmidt, twice, on Gaussians. */
function orthogonal(n: number, seed: number): Float64Array {
  const r = rng(seed);
  const q = Float64Array.from(
    { length: n * n },
    () => Math.sqrt(-2 * Math.log(r() + 1e-300)) * Math.cos(2 * Math.PI * r()),
  );
  for (let j = 0; j < n; j++) {
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < j; k++) {
        let d = 0;
        for (let i = 0; i < n; i++) d += q[i * n + j] * q[i * n + k];
        for (let i = 0; i < n; i++) q[i * n + j] -= d * q[i * n + k];
      }
    }
    let s = 0;
    for (let i = 0; i < n; i++) s += q[i * n + j] ** 2;
    for (let i = 0; i < n; i++) q[i * n + j] /= Math.sqrt(s);
  }
  return q;
}

/** Q·diag(λ)·Qᵀ in float64, row-major. */
function withSpectrum(lambda: number[], seed: number): Float64Array {
  const n = lambda.length, q = orthogonal(n, seed), a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += q[i * n + k] * lambda[k] * q[j * n + k];
      a[i * n + j] = s;
    }
  }
  return a;
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  Array.from(b, (v, i) => Math.abs(a[i] - v)).reduce((x, y) => Math.max(x, y), 0);

for (const backend of ["cpu", ...NATIVE_IF_PRESENT, "wasm", "webgpu"]) {
  Deno.test({
    name: `ntkSpectrum() recovers the spectrum of Q·diag(λ)·Qᵀ, traced and full, on ${backend}`,
    ...opts,
    fn: async () => {
      await tf.setBackend(backend);
      const before = tf.memory().numTensors;
      // Traced [N, N]: distinct eigenvalues over 3 decades, one of them 0. (N = 40: 1600 entries,
      // above webgpu's 1000-element CPU hand-off.)
      const lambda = Array.from({ length: 40 }, (_, i) => (i === 39 ? 0 : 100 * 10 ** (-3 * i / 38)));
      const k = tf.tensor(Float32Array.from(withSpectrum(lambda, 3)), [40, 40]);
      const s = await ntkSpectrum(k);
      // The float32 kernel holds relative errors of 6e-8: eigenvalues move by ≲ 40 · 6e-8 · λ_max.
      const err = maxAbsDiff(s.eigenvalues, lambda) / lambda[0];
      assert.ok(err <= 1e-5, `traced eigenvalue error ${err} > 1e-5 · λ_max`);
      assert.ok(s.eigenvalues.every((v: number, i: number) => i === 0 || v <= s.eigenvalues[i - 1]), "descending");

      // Full [N, N, O, O] with K[i,j,a,b] = G[i,j]·B[a,b]: as [N·O, N·O] it is G ⊗ B, whose
      // eigenvalues are the products g_i·b_a (N ≠ O, so a wrong flattening cannot pass).
      const [g, b] = [[5, 3, 2, 1, 0.5, 0.25, 0.1, 0.05], [4, 2, 1]];
      const kron = tf.tidy(() => {
        const gt = tf.tensor(Float32Array.from(withSpectrum(g, 5)), [8, 8]);
        const bt = tf.tensor(Float32Array.from(withSpectrum(b, 6)), [3, 3]);
        return tf.mul(tf.reshape(gt, [8, 8, 1, 1]), tf.reshape(bt, [1, 1, 3, 3]));
      });
      const full = await ntkSpectrum(kron);
      const want = g.flatMap((x) => b.map((y) => x * y)).sort((x, y) => y - x);
      const fullErr = maxAbsDiff(full.eigenvalues, want) / want[0];
      assert.ok(fullErr <= 1e-5, `full eigenvalue error ${fullErr} > 1e-5 · λ_max`);
      assert.equal(full.eigenvalues.length, 24);
      console.log(
        `  ${backend}: traced error ${err.toExponential(2)}, full error ${fullErr.toExponential(2)} (× λ_max)`,
      );
      tf.dispose([k, kron]);
      assert.equal(tf.memory().numTensors, before, "no leak");
    },
  });
}

Deno.test({
  name: "ntkSpectrum() gives λ_max/λ_min and the entropy effective rank",
  ...opts,
  fn: async () => {
    await tf.setBackend("cpu");
    const rotated = (lambda: number[]) =>
      tf.tensor(Float32Array.from(withSpectrum(lambda, 9)), [lambda.length, lambda.length]);
    // λ = [4, 2, 1, 1]: p = [1/2, 1/4, 1/8, 1/8], H = 1.75·ln 2, so exp(H) = 2^1.75; PR = 8² / 22.
    const k = rotated([4, 2, 1, 1]);
    const s = await ntkSpectrum(k);
    assert.ok(Math.abs(s.conditionNumber - 4) <= 4e-5, `κ ${s.conditionNumber}`);
    assert.ok(Math.abs(s.effectiveRank - 2 ** 1.75) <= 1e-5, `effective rank ${s.effectiveRank}`);
    assert.ok(Math.abs(s.participationRatio - 64 / 22) <= 1e-5, `participation ratio ${s.participationRatio}`);
    assert.equal(s.rank, 4);

    // k equal eigenvalues and zeros: effective rank k exactly, κ = ∞ (singular).
    const flat = tf.tensor(Float32Array.from(withSpectrum([3, 3, 3, 0, 0], 4)), [5, 5]);
    const f = await ntkSpectrum(flat);
    assert.ok(Math.abs(f.effectiveRank - 3) <= 1e-5 && Math.abs(f.participationRatio - 3) <= 1e-5);
    assert.equal(f.conditionNumber, Infinity);
    assert.equal(f.rank, 3);

    // A negative round-off eigenvalue is clipped: κ = ∞, and it does not count in the ranks.
    const neg = tf.tensor2d([[2, 0, 0], [0, 1, 0], [0, 0, -1e-9]]);
    const ns = await ntkSpectrum(neg);
    assert.deepEqual(Array.from(ns.eigenvalues), [2, 1, Math.fround(-1e-9)]);
    assert.equal(ns.conditionNumber, Infinity);
    const h = -(2 / 3) * Math.log(2 / 3) - (1 / 3) * Math.log(1 / 3);
    assert.ok(Math.abs(ns.effectiveRank - Math.exp(h)) <= 1e-12);

    // rcond: λ_min = 1e-8·λ_max is zero at float32 precision by default, 1e8 with rcond 0.
    const ill = tf.tensor2d([[1, 0], [0, 1e-8]]);
    assert.equal((await ntkSpectrum(ill)).conditionNumber, Infinity);
    const exact = (await ntkSpectrum(ill, { rcond: 0 })).conditionNumber;
    assert.ok(Math.abs(exact / (1 / Math.fround(1e-8)) - 1) <= 1e-12, `κ ${exact}`);

    // The zero kernel: no rank at all.
    const zero = tf.zeros([3, 3]);
    const z = await ntkSpectrum(zero);
    assert.deepEqual([z.effectiveRank, z.rank, z.conditionNumber], [0, 0, Infinity]);
    tf.dispose([k, flat, neg, ill, zero]);
  },
});

Deno.test({
  name: "ntkSpectrum() of an empirical NTK sums to its trace and is PSD up to round-off",
  ...opts,
  fn: async () => {
    await tf.setBackend("cpu");
    const m = mlp("tanh", { width: 16, out: 3 });
    const p = m.params(), x = m.input(10, 2);
    const k = await empiricalNtkFn(m.f, { traceAxes: [] })(x, null, p); // [10, 10, 3, 3]
    const s = await ntkSpectrum(k);
    const diag = tf.tidy(() => tf.sum(tf.mul(tf.reshape(tf.transpose(k, [0, 2, 1, 3]), [30, 30]), tf.eye(30))));
    const trace = (await diag.data())[0];
    const sum = s.eigenvalues.reduce((a: number, b: number) => a + b, 0);
    assert.ok(Math.abs(sum - trace) <= 1e-5 * trace, `Σλ ${sum} vs trace ${trace}`);
    assert.ok(s.eigenvalues[29] >= -1e-5 * s.eigenvalues[0], `λ_min ${s.eigenvalues[29]}`);
    console.log(
      `  |Σλ − trace| / trace ${(Math.abs(sum - trace) / trace).toExponential(2)}, ` +
        `λ_min / λ_max ${(s.eigenvalues[29] / s.eigenvalues[0]).toExponential(2)}`,
    );
    tf.dispose([k, diag, x, ...Object.values(p)]);
  },
});

Deno.test({
  name: "ntkSpectrum() rejects a non-symmetric kernel, bad shapes, NaN and bad options",
  ...opts,
  fn: async () => {
    await tf.setBackend("cpu");
    const before = tf.memory().numTensors;
    const asym = tf.tensor2d([[2, 1], [0, 2]]);
    await assert.rejects(
      () => ntkSpectrum(asym),
      (e) => e instanceof ShapeMismatchError && /symmetric/.test(e.message),
    );
    // Within the tolerance: accepted (and symmetrized).
    const nearly = tf.tensor2d([[2, 1], [1 + 1e-5, 2]]);
    assert.ok(Math.abs((await ntkSpectrum(nearly)).eigenvalues[0] - 3) <= 1e-5);
    await assert.rejects(() => ntkSpectrum(nearly, { symmetryTolerance: 1e-7 }), ShapeMismatchError);
    const bad = [tf.zeros([3, 4]), tf.zeros([3, 3, 2]), tf.zeros([3, 3, 2, 4]), tf.zeros([3])];
    for (const t of bad) await assert.rejects(() => ntkSpectrum(t), ShapeMismatchError, `[${t.shape}]`);
    const nan = tf.tensor2d([[1, NaN], [NaN, 1]]);
    await assert.rejects(() => ntkSpectrum(nan), NonFiniteInputError);
    await assert.rejects(() => ntkSpectrum(nearly, { rcond: -1 }), InvalidOptionError);
    await assert.rejects(() => ntkSpectrum(nearly, { symmetryTolerance: NaN }), InvalidOptionError);
    tf.dispose([asym, nearly, nan, ...bad]);
    assert.equal(tf.memory().numTensors, before);
  },
});

Deno.test("heatmapSvg() draws a log-scale spectrum panel beside the heatmap", () => {
  const values = [100, 10, 1, 0.1, 0, -1e-9];
  const svg = heatmapSvg([1, 0, 0, 1], 2, 2, { spectrum: values });
  const panel = /<g id="spectrum"[^>]*>([\s\S]*?)<\/g>/.exec(svg);
  assert.ok(panel, "a spectrum panel");
  const dots = [...panel[1].matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)"/g)].map((m) => [Number(m[1]), Number(m[2])]);
  assert.equal(dots.length, 4, "one dot per positive eigenvalue");
  // Equal steps in log10 λ are equal steps in y; x grows with the index.
  const dy = dots.slice(1).map(([, y], i) => y - dots[i][1]);
  assert.ok(dy.every((d) => Math.abs(d - dy[0]) < 0.2 && d > 0), `${dy}`);
  assert.ok(dots.every(([x], i) => i === 0 || x > dots[i - 1][0]));
  assert.match(panel[1], /2 eigenvalues ≤ 0 not shown/);
  // The panel sits right of the heatmap's colour bar and its tick labels.
  const bar = /<image class="colourbar" x="([\d.]+)"/.exec(svg.slice(0, panel.index));
  assert.ok(bar, "a colour bar before the panel");
  assert.ok(dots[0][0] > Number(bar[1]) + 16 + 40, `${dots[0][0]} vs bar at ${bar[1]}`);
});
