// empiricalNtkVpFn(): Θ(x1, x2)·v against the full kernel of empiricalNtkFn (Jacobian
// contraction, traceAxes []) contracted with v on cpu; peak memory against the kernel's size;
// named errors; no leaks.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import {
  DTypeError,
  empiricalNtkFn,
  empiricalNtkVpFn,
  fromLayersModel,
  NonFiniteInputError,
  type ParamFn,
  ShapeMismatchError,
} from "../../mod.ts";
import { copyTo, onCpu } from "../_ref.ts";
import { randn } from "../_data.ts";
import { convNet, mlp, type Model, timeDense } from "../ntk/_models.ts";
import { NATIVE_IF_PRESENT } from "../_native.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
type Params = Record<string, tf.Tensor>;

/** Σ_{j,o'} K[i,j,o,o'] v[j,o'] from the zipped full kernel [a0, b0, a1, b1, …], on the host. */
async function contractFull(k: tf.Tensor, v: tf.Tensor): Promise<Float32Array> {
  const r = k.rank / 2;
  const ones = Array.from({ length: r }, (_, i) => 2 * i);
  const twos = Array.from({ length: r }, (_, i) => 2 * i + 1);
  const n1 = ones.reduce((a, i) => a * k.shape[i], 1);
  const m = tf.tidy(() =>
    tf.matMul(tf.reshape(tf.transpose(k, [...ones, ...twos]), [n1, v.size]), tf.reshape(v, [v.size, 1]))
  );
  const out = await m.data() as Float32Array;
  m.dispose();
  return out;
}

/**
 * The oracle on cpu: empiricalNtkFn's full kernel (Jacobian contraction) contracted with v.
 * (Copies of the tensors: webgpu's cannot be moved to cpu synchronously.)
 */
function reference(f: ParamFn, p: Params, x1: tf.Tensor, x2: tf.Tensor | null, v: tf.Tensor): Promise<Float32Array> {
  return onCpu(async () => {
    const [pc, a, b, vc] = [await copyTo(p), await copyTo(x1), x2 && await copyTo(x2), await copyTo(v)];
    const k = await empiricalNtkFn(f, { method: "jacobian", traceAxes: [] })(a, b, pc);
    const out = await contractFull(k, vc);
    tf.dispose([k, a, vc, ...(b ? [b] : []), ...Object.values(pc)]);
    return out;
  });
}

function maxRel(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < want.length; i++) {
    num = Math.max(num, Math.abs(got[i] - want[i]));
    den = Math.max(den, Math.abs(want[i]));
  }
  return num / den;
}

/** Θ·v on the current backend vs the cpu oracle; returns the max error over max|oracle|. */
/** f's output shape as the engine sees it: several outputs concatenated per row. */
function outputShape(f: ParamFn, p: Params, x: tf.Tensor): number[] {
  return tf.tidy(() => {
    const y = f(p, x);
    return Array.isArray(y) ? [y[0].shape[0], y.reduce((a, t) => a + t.size / t.shape[0], 0)] : y.shape;
  });
}

async function check(f: ParamFn, p: Params, x1: tf.Tensor, x2: tf.Tensor | null, tol: number, what: string) {
  const outShape = outputShape(f, p, x2 ?? x1);
  const v = randn(outShape, 77);
  const want = await reference(f, p, x1, x2, v);
  const before = tf.memory().numTensors;
  const got = await empiricalNtkVpFn(f)(x1, x2, p, v);
  assert.equal(tf.memory().numTensors - before, 1, `${what}: only the result stays alive`);
  assert.deepEqual(got.shape, outputShape(f, p, x1), `${what}: the result has f(x1)'s shape`);
  const err = maxRel(await got.data(), want);
  assert.ok(err <= tol, `${what} on ${tf.getBackend()}: max error ${err} × max|Θv| > ${tol}`);
  console.log(`  ${what} [${tf.getBackend()}]: max |Θv − oracle| = ${err.toExponential(2)} × max|oracle|`);
  tf.dispose([got, v]);
  return err;
}

async function checkModel(m: Model, n1: number, n2: number | null, tol = 1e-4) {
  const p = m.params();
  const [x1, x2] = [m.input(n1, 1), n2 === null ? null : m.input(n2, 2)];
  await check(m.f, p, x1, x2, tol, m.name);
  tf.dispose([x1, ...(x2 ? [x2] : []), ...Object.values(p)]);
}

/** conv 3×3 (relu) → flatten → dense(3), as a tfjs-layers model with seeded initializers. */
function layersModel(): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({
        filters: 3,
        kernelSize: 3,
        inputShape: [5, 5, 2],
        activation: "relu",
        kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }),
        biasInitializer: tf.initializers.randomNormal({ stddev: 0.1, seed: 2 }),
      }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 3, activation: "tanh", kernelInitializer: tf.initializers.glorotNormal({ seed: 3 }) }),
      tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotNormal({ seed: 4 }) }),
    ],
  });
}

for (const backend of ["cpu", ...NATIVE_IF_PRESENT, "wasm"] as const) {
  Deno.test({
    name: `empiricalNtkVpFn() equals the full NTK contracted with v for an MLP and a CNN [${backend}]`,
    ...opts,
    fn: async () => {
      await tf.setBackend(backend);
      await checkModel(mlp("relu"), 4, 5);
      await checkModel(mlp("tanh", { out: 3 }), 4, null);
      await checkModel(convNet(), 3, 2);
      await checkModel(convNet(), 3, null);
      await checkModel(timeDense(), 3, 2); // rank-3 output: v is [N2, T, O]
      // Two outputs [N, 2] and [N, 4, 2]: v is their per-row concatenation [N2, 10].
      const m = mlp("tanh");
      const two: ParamFn = (
        p,
        x,
      ) => [m.f(p, x) as tf.Tensor, tf.reshape(tf.tanh(tf.matMul(x as tf.Tensor, p.w1)), [-1, 4, 2])];
      const p = m.params(), [x1, x2] = [m.input(3, 1), m.input(2, 2)];
      await check(two, p, x1, x2, 1e-4, "two outputs");
      tf.dispose([x1, x2, ...Object.values(p)]);
    },
  });

  Deno.test({
    name: `empiricalNtkVpFn() equals the full NTK contracted with v for a tfjs-layers model [${backend}]`,
    ...opts,
    fn: async () => {
      await tf.setBackend("cpu");
      const model = layersModel();
      const { f, params } = fromLayersModel(model);
      const [x1, x2] = [randn([3, 5, 5, 2], 5), randn([4, 5, 5, 2], 6)];
      await tf.setBackend(backend);
      await check(f, params, x1, x2, 1e-4, "layers model");
      await check(f, params, x1, null, 1e-4, "layers model, x2 = x1");
      tf.dispose([x1, x2]);
      model.dispose();
    },
  });
}

Deno.test({
  name: "empiricalNtkVpFn() equals the full NTK contracted with v on webgpu",
  ...opts,
  fn: async () => {
    await tf.setBackend("webgpu");
    // Above tfjs-webgpu's 1000-element CPU hand-off, so the GPU shaders run.
    await checkModel(mlp("relu", { inputDim: 50, width: 64, out: 3 }), 12, 10, 1e-4);
  },
});

Deno.test({
  name: "empiricalNtkVpFn() peaks at O(P + N·O), far below the full NTK [N, N, O, O]",
  ...opts,
  fn: async () => {
    await tf.setBackend("cpu");
    const [width, out] = [32, 64];
    const m = mlp("relu", { width, out });
    const p = m.params();
    const paramCount = Object.values(p).reduce((a, t) => a + t.size, 0);
    const ntkVp = empiricalNtkVpFn(m.f);
    /** Peak bytes above the baseline while computing Θ(x, x)·v for n examples. */
    const peakAt = async (n: number) => {
      const x = m.input(n, 1), v = randn([n, out], 3);
      const base = tf.memory().numBytes;
      // tf.profile records the bytes alive after every kernel.
      const prof = await tf.profile(async () => {
        (await ntkVp(x, null, p, v)).dispose();
        return [];
      });
      assert.equal(prof.newTensors, 0, "no leak");
      tf.dispose([x, v]);
      return prof.peakBytes - base;
    };
    const n = 128;
    const [peak, half] = [await peakAt(n), await peakAt(n / 2)];
    const fullNtk = 4 * n * n * out * out; // 256 MiB
    // The direction (P), v and the result (N·O), activations and masks (N·W).
    const linear = 4 * (paramCount + n * out + n * width);
    assert.ok(peak < fullNtk / 200, `peak ${peak} B is not far below the full NTK's ${fullNtk} B`);
    assert.ok(peak < 12 * linear, `peak ${peak} B exceeds 12 × (P + N·O + N·W) floats = ${12 * linear} B`);
    // Linear in N (the NTK would grow 4×): twice the examples, at most 2.2× the peak.
    assert.ok(peak / half < 2.2, `peak ${peak} B at N = ${n}, ${half} B at N = ${n / 2}`);
    console.log(
      `  peak ${(peak / 1024).toFixed(0)} KiB (N = ${n}), ${(half / 1024).toFixed(0)} KiB (N = ${n / 2}); ` +
        `(P + N·O + N·W) floats ${(linear / 1024).toFixed(0)} KiB; full NTK ${(fullNtk / 2 ** 20).toFixed(0)} MiB`,
    );
    tf.dispose(Object.values(p));
  },
});

Deno.test({
  name: "empiricalNtkVpFn() rejects a bad v with a named error and leaks nothing",
  ...opts,
  fn: async () => {
    await tf.setBackend("cpu");
    const m = mlp("relu");
    const p = m.params(), [x1, x2] = [m.input(3, 1), m.input(4, 2)];
    const ntkVp = empiricalNtkVpFn(m.f);
    const before = tf.memory().numTensors;
    for (const shape of [[3, 2], [4, 3], [4, 2, 1], [8]]) { // f(x2) is [4, 2]
      const v = tf.zeros(shape);
      await assert.rejects(ntkVp(x1, x2, p, v), (e: unknown) => {
        assert.ok(e instanceof ShapeMismatchError, String(e));
        assert.equal(e.argument, "v");
        assert.deepEqual(e.actual, shape);
        return true;
      });
      v.dispose();
    }
    const vi = tf.zeros([4, 2], "int32");
    await assert.rejects(ntkVp(x1, x2, p, vi), DTypeError);
    const vn = tf.tensor2d([[0, 1], [NaN, 0], [0, 0], [0, 0]]);
    await assert.rejects(ntkVp(x1, x2, p, vn), (e: unknown) => e instanceof NonFiniteInputError && e.argument === "v");
    tf.dispose([vi, vn]);
    assert.equal(tf.memory().numTensors, before, "errors leave no tensors behind");
    tf.dispose([x1, x2, ...Object.values(p)]);
  },
});

Deno.test({
  name: "empiricalNtkVpFn() is linear in v and gives vᵀΘv ≥ 0 for x2 = x1",
  ...opts,
  fn: async () => {
    await tf.setBackend("wasm");
    const m = convNet();
    const p = m.params(), x = m.input(4, 1);
    const [v1, v2] = [randn([4, 3], 8), randn([4, 3], 9)];
    const ntkVp = empiricalNtkVpFn(m.f);
    const [a, b] = [await ntkVp(x, null, p, v1), await ntkVp(x, null, p, v2)];
    const vs = tf.add(tf.mul(v1, 2), v2);
    const ab = await ntkVp(x, null, p, vs);
    const combo = tf.add(tf.mul(a, 2), b);
    const err = maxRel(await ab.data(), await combo.data());
    assert.ok(err < 1e-5, `linearity: ${err}`);
    const quad = (await tf.sum(tf.mul(v1, a)).data())[0];
    assert.ok(quad > 0, `vᵀΘv = ${quad} (Θ is positive semi-definite)`);
    tf.dispose([a, b, vs, ab, combo, v1, v2, x, ...Object.values(p)]);
  },
});
