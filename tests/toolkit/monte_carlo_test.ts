// monteCarloKernelFn(): the mean equals the average of single-sample kernels computed one by one
// (and the standard error their spread / √n), on every backend; a 1-hidden-layer ReLU net at
// width 2048 matches the closed-form arc-cosine NTK and NNGP within 3 standard errors, in NTK
// parameterization (init function) and in standard parameterization (a tfjs-layers model
// re-initialized from its own initializers, left untouched); batch() of it equals the whole;
// bad arguments; no leaks.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { batch, InvalidOptionError, monteCarloKernelFn } from "../../mod.ts";
import { randn } from "../_data.ts";
import { relError } from "../_ref.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const read = async (t: tf.Tensor) => Float64Array.from(await t.data());
type P = Record<string, tf.Tensor>;

/** A 1-hidden-layer ReLU net in NTK parameterization: W ~ N(0, 1) scaled by 1/√fan_in, bias std `b`. */
function ntkNet(d: number, width: number, b: number, out = 1) {
  const init = (seed: number): P => ({
    w1: tf.randomNormal([d, width], 0, 1, "float32", 4 * seed),
    b1: tf.randomNormal([width], 0, 1, "float32", 4 * seed + 1),
    w2: tf.randomNormal([width, out], 0, 1, "float32", 4 * seed + 2),
    b2: tf.randomNormal([out], 0, 1, "float32", 4 * seed + 3),
  });
  const f = (p: P, x: tf.Tensor | tf.Tensor[]) =>
    tf.tidy(() => {
      const z = tf.add(tf.div(tf.matMul(x as tf.Tensor, p.w1), Math.sqrt(d)), tf.mul(b, p.b1));
      return tf.add(tf.div(tf.matMul(tf.relu(z), p.w2), Math.sqrt(width)), tf.mul(b, p.b2));
    });
  return { init, f };
}

/** E[relu(u) relu(v)] and E[relu'(u) relu'(v)] for (u, v) ~ N(0, [[s11, s12], [s12, s22]]) (Cho & Saul). */
function arcCos(s11: number, s12: number, s22: number) {
  const norm = Math.sqrt(s11 * s22);
  const theta = Math.acos(Math.max(-1, Math.min(1, s12 / norm)));
  return {
    k: (norm / (2 * Math.PI)) * (Math.sin(theta) + (Math.PI - theta) * Math.cos(theta)),
    kDot: (Math.PI - theta) / (2 * Math.PI),
  };
}

/**
 * The infinite-width kernels of dense(relu) → dense on inputs x [n, d]: first layer covariance
 * Σ1 = w1²·x·x' + b1², NNGP = w2²·K(Σ1) + b2², NTK = NNGP + w2²·K̇(Σ1)·Σ1 + extra (standard
 * parameterization's scale terms given by the caller through the weights).
 */
function closedForm(x: Float64Array, n: number, d: number, w1: number, b1: number, w2: number, b2: number) {
  const s1 = (i: number, j: number) => {
    let dot = 0;
    for (let a = 0; a < d; a++) dot += x[i * d + a] * x[j * d + a];
    return w1 * w1 * dot + b1 * b1;
  };
  const nngp = new Float64Array(n * n), ntkPart = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const { k, kDot } = arcCos(s1(i, i), s1(i, j), s1(j, j));
      nngp[i * n + j] = w2 * w2 * k + b2 * b2;
      ntkPart[i * n + j] = w2 * w2 * kDot * s1(i, j); // the first layer's parameters
    }
  }
  return { nngp, ntkPart };
}

/** Largest |estimate − exact| / standard error. */
function maxZ(est: Float64Array, se: Float64Array, exact: Float64Array): number {
  let z = 0;
  for (let i = 0; i < exact.length; i++) z = Math.max(z, Math.abs(est[i] - exact[i]) / se[i]);
  return z;
}

for (const backend of ["cpu", "wasm", "webgpu"]) {
  Deno.test({
    name: `monteCarloKernelFn() is the average of single-sample kernels computed one by one on ${backend}`,
    ...opts,
    fn: async () => {
      await tf.setBackend(backend);
      const { init, f } = ntkNet(3, 32, 0.5);
      const x1 = randn([5, 3], 1), x2 = randn([4, 3], 2);
      const before = tf.memory().numTensors;
      const n = 5;
      const { kernels, standardError } = await monteCarloKernelFn(init, f, { nSamples: n, seed: 7 }).run(x1, x2);
      for (const name of ["ntk", "nngp"] as const) {
        const singles: Float64Array[] = [];
        for (let i = 0; i < n; i++) {
          const one = await monteCarloKernelFn(init, f, { seed: 7 + i })(x1, x2, name);
          singles.push(await read(one[name]));
          one[name].dispose();
        }
        const mean = singles[0].map((_, j) => singles.reduce((s, k) => s + k[j], 0) / n);
        const se = mean.map((m, j) => Math.sqrt(singles.reduce((s, k) => s + (k[j] - m) ** 2, 0) / (n - 1) / n));
        const errs = [relError(await read(kernels[name]), mean), relError(await read(standardError![name]), se)];
        console.log(`  ${name}: mean ${errs[0].toExponential(2)}, standard error ${errs[1].toExponential(2)}`);
        assert.ok(errs[0] <= 1e-5 && errs[1] <= 1e-3, `${name}: ${errs}`);
        assert.ok(relError(singles[0], singles[1]) > 1e-2, "samples differ");
      }
      tf.dispose([...Object.values(kernels), ...Object.values(standardError!)]);
      assert.equal(tf.memory().numTensors, before, "no leak");
      tf.dispose([x1, x2]);
    },
  });
}

Deno.test({
  name:
    "monteCarloKernelFn() of a width-2048 ReLU net (NTK parameterization) matches the arc-cosine NTK and NNGP within 3 standard errors",
  ...opts,
  fn: async () => {
    await tf.setBackend("cpu");
    const [d, width, b, n] = [3, 2048, 0.5, 4];
    const { init, f } = ntkNet(d, width, b, 16); // kernels: the mean over 16 iid outputs
    const x = randn([n, d], 5);
    const { kernels, standardError } = await monteCarloKernelFn(init, f, { nSamples: 32, seed: 11 }).run(x, null);
    // NTK parameterization: the 1/√fan_in scales make w1² = 1/d, w2² = 1 (per unit of width).
    const exact = closedForm(await read(x), n, d, 1 / Math.sqrt(d), b, 1, b);
    const ntkExact = exact.nngp.map((v, i) => v + exact.ntkPart[i]);
    const zs = [
      maxZ(await read(kernels.nngp), await read(standardError!.nngp), exact.nngp),
      maxZ(await read(kernels.ntk), await read(standardError!.ntk), ntkExact),
    ];
    const rel = [
      relError(await read(kernels.nngp), exact.nngp),
      relError(await read(kernels.ntk), ntkExact),
    ];
    console.log(
      `  NNGP: max |z| ${zs[0].toFixed(2)} (error ${rel[0].toExponential(2)}); NTK: max |z| ${
        zs[1].toFixed(2)
      } (error ${rel[1].toExponential(2)})`,
    );
    assert.ok(zs.every((z) => z <= 3), `${zs}`);
    // Not a vacuous test: the standard errors are small against the kernels (the NTK concentrates
    // with width; the NNGP, f(x)·f(x'), only with samples and outputs).
    const zero = new Float64Array(n * n);
    const relSe = [
      relError(await read(standardError!.nngp), zero) / relError(exact.nngp, zero),
      relError(await read(standardError!.ntk), zero) / relError(ntkExact, zero),
    ];
    console.log(
      `  largest standard error / largest kernel entry: NNGP ${relSe[0].toFixed(3)}, NTK ${relSe[1].toFixed(4)}`,
    );
    assert.ok(relSe[0] <= 0.08 && relSe[1] <= 0.01 && rel.every((e) => e <= 0.1), `${relSe} ${rel}`);
    tf.dispose([x, ...Object.values(kernels), ...Object.values(standardError!)]);
  },
});

Deno.test({
  name:
    "monteCarloKernelFn() re-initializes a layers model from its own initializers, untouched, and matches the closed form",
  ...opts,
  fn: async () => {
    await tf.setBackend("cpu");
    const [d, width, n] = [3, 2048, 4];
    // Standard parameterization: W1 ~ N(0, 1/d), W2 ~ N(0, 1/width), biases N(0, 0.5²).
    const model = tf.sequential({
      layers: [
        tf.layers.dense({
          units: width,
          inputShape: [d],
          activation: "relu",
          kernelInitializer: tf.initializers.randomNormal({ stddev: 1 / Math.sqrt(d) }),
          biasInitializer: tf.initializers.randomNormal({ stddev: 0.5 }),
        }),
        tf.layers.dense({
          units: 1,
          kernelInitializer: tf.initializers.randomNormal({ stddev: 1 / Math.sqrt(width) }),
          biasInitializer: tf.initializers.randomNormal({ stddev: 0.5 }),
        }),
      ],
    });
    const own = await Promise.all(model.getWeights().map(read));
    const x = randn([n, d], 6);
    const before = tf.memory().numTensors;
    const mc = monteCarloKernelFn(model, null, { nSamples: 24, seed: 3 });
    const { kernels, standardError } = await mc.run(x, null);
    const again = await mc(x, null, "nngp");
    assert.deepEqual(await read(again.nngp), await read(kernels.nngp), "the same seed gives the same samples");
    const other = await monteCarloKernelFn(model, null, { nSamples: 1, seed: 4 })(x, null, "nngp");
    assert.ok(relError(await read(other.nngp), await read(kernels.nngp)) > 1e-3, "another seed, other samples");
    // ∂f/∂W2 gives width·K (W2's variance is 1/width), ∂f/∂b2 gives 1, ∂f/∂(W1, b1) gives K̇·(x·x' + 0.5²).
    const exact = closedForm(await read(x), n, d, 1 / Math.sqrt(d), 0.5, 1, 0.5);
    const unit = closedForm(await read(x), n, d, 1, 0.5, 1, 0); // K̇·(x·x' + b²) and K without scale
    const nngpOf1 = closedForm(await read(x), n, d, 1 / Math.sqrt(d), 0.5, 1, 0).nngp; // K(Σ1)
    const ntkExact = nngpOf1.map((k, i) => width * k + 1 + unit.ntkPart[i]);
    const zs = [
      maxZ(await read(kernels.nngp), await read(standardError!.nngp), exact.nngp),
      maxZ(await read(kernels.ntk), await read(standardError!.ntk), ntkExact),
    ];
    const zero = new Float64Array(n * n);
    const ntkRelSe = relError(await read(standardError!.ntk), zero) / relError(ntkExact, zero);
    console.log(
      `  layers model: NNGP max |z| ${zs[0].toFixed(2)}, NTK max |z| ${zs[1].toFixed(2)} ` +
        `(NTK standard error ${ntkRelSe.toFixed(4)} × its largest entry)`,
    );
    assert.ok(zs.every((z) => z <= 3) && ntkRelSe <= 0.02, `${zs}, ${ntkRelSe}`);
    tf.dispose([again.nngp, other.nngp, ...Object.values(kernels), ...Object.values(standardError!)]);
    assert.equal(tf.memory().numTensors, before, "no leak (the fresh models are disposed)");
    const after = await Promise.all(model.getWeights().map(read));
    assert.deepEqual(after, own, "the user's model keeps its weights");
    model.dispose();
    x.dispose();
  },
});

Deno.test({
  name: "batch() of monteCarloKernelFn() equals the whole (the same seeds in every block)",
  ...opts,
  fn: async () => {
    await tf.setBackend("cpu");
    const { init, f } = ntkNet(3, 16, 0.5);
    const x = randn([6, 3], 8);
    const mc = monteCarloKernelFn(init, f, { nSamples: 3, seed: 2 });
    const whole = await mc(x, null);
    const blocks = await batch(mc, { batchSize: 4 })(x, null);
    const errs = [
      relError(await read(blocks.ntk), await read(whole.ntk)),
      relError(await read(blocks.nngp), await read(whole.nngp)),
    ];
    assert.ok(errs.every((e) => e <= 1e-5), `${errs}`);
    tf.dispose([x, whole.ntk, whole.nngp, blocks.ntk, blocks.nngp]);
  },
});

Deno.test({
  name: "monteCarloKernelFn() rejects bad arguments with a sentence naming them",
  ...opts,
  fn: async () => {
    await tf.setBackend("cpu");
    const { init, f } = ntkNet(3, 8, 0.5);
    const x = randn([2, 3], 9);
    const before = tf.memory().numTensors;
    assert.throws(() => monteCarloKernelFn(init, f, { nSamples: 0 }), InvalidOptionError);
    assert.throws(() => monteCarloKernelFn(init, f, { seed: 0.5 }), /seed/);
    assert.throws(() => monteCarloKernelFn(init, null), /Invalid init/);
    // deno-lint-ignore no-explicit-any
    assert.throws(() => monteCarloKernelFn(init, f, { kernels: "ntkgp" as any }), /Invalid get/);
    // deno-lint-ignore no-explicit-any
    await assert.rejects(monteCarloKernelFn(init, f)(x, null, "cov" as any), /Invalid get/);
    assert.equal(tf.memory().numTensors, before);
    x.dispose();
  },
});
