// linearize(): fLin(params0) = f(params0); ‖f − fLin‖ at params0 + εd shrinks as ε²; fLin is
// affine in params; the NTK of fLin at any params is f's NTK at params0 (fLin traced through
// the interpreter); dispose() and no leaks; named errors.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { DTypeError, empiricalNtkFn, fromLayersModel, linearize, type ParamFn, ShapeMismatchError } from "../../mod.ts";
import { randn } from "../_data.ts";
import { convNet, mlp, type Model } from "../ntk/_models.ts";
import { tensorRelError } from "../_ref.ts";
import { NATIVE_IF_PRESENT } from "../_native.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
type Params = Record<string, tf.Tensor>;

/** convNet with tanh in both conv layers: smooth, so the Taylor remainder is exactly second order. */
function smoothConvNet(): Model {
  const base = convNet();
  return {
    ...base,
    name: "tanh conv net",
    f: (p, x) => {
      const h1 = tf.tanh(tf.add(tf.conv2d(x as tf.Tensor4D, p.k1 as tf.Tensor4D, 1, "same"), p.c1));
      const h2 = tf.tanh(tf.conv2d(h1 as tf.Tensor4D, p.k2 as tf.Tensor4D, 2, "same"));
      return tf.matMul(tf.reshape(h2, [h2.shape[0], -1]), p.w);
    },
  };
}

/** params0 + ε·d, for every parameter. */
function shifted(p0: Params, d: Params, eps: number): Params {
  return tf.tidy(() => Object.fromEntries(Object.keys(p0).map((n) => [n, tf.add(p0[n], tf.mul(d[n], eps))])));
}

function direction(p0: Params, seed: number, scale = 1): Params {
  return Object.fromEntries(Object.entries(p0).map(([n, t], i) => [n, randn(t.shape, seed + i, scale)]));
}

/** ‖t‖₂, disposing t. */
async function norm(t: tf.Tensor): Promise<number> {
  const n = tf.norm(t);
  const v = (await n.data())[0];
  tf.dispose([n, t]);
  return v;
}

for (const backend of ["cpu", ...NATIVE_IF_PRESENT, "wasm"] as const) {
  Deno.test({
    name: `linearize() is f at params0, affine in params, and off by O(ε²) at params0 + εd [${backend}]`,
    ...opts,
    fn: async () => {
      await tf.setBackend(backend);
      for (const m of [mlp("tanh"), smoothConvNet()]) {
        const p0 = m.params(), x = m.input(4, 1), d = direction(p0, 100);
        const fLin = linearize(m.f, p0);
        const before = tf.memory().numTensors;
        const [y0, lin0] = [tf.tidy(() => m.f(p0, x) as tf.Tensor), fLin(p0, x)];
        assert.equal(tf.memory().numTensors - before, 2, "fLin leaves only its result");
        const e0 = await tensorRelError(lin0, y0);
        assert.ok(e0 <= 1e-6, `${m.name}: fLin(params0) vs f(params0): ${e0}`);
        // Remainder ‖f − fLin‖ as ε halves: ratio 4 (second order), within ±10%.
        const eps = [0.1, 0.05, 0.025, 0.0125];
        const rem: number[] = [], step: number[] = [];
        for (const e of eps) {
          const p = shifted(p0, d, e);
          const [y, yl] = [tf.tidy(() => m.f(p, x) as tf.Tensor), fLin(p, x)];
          rem.push(await norm(tf.tidy(() => tf.sub(y, yl))));
          step.push(await norm(tf.tidy(() => tf.sub(yl, lin0))));
          tf.dispose([y, yl, ...Object.values(p)]);
        }
        const ratios = rem.slice(1).map((r, i) => rem[i] / r);
        for (const r of ratios) assert.ok(r > 3.6 && r < 4.4, `${m.name}: remainder ratios ${ratios}`);
        // fLin − fLin(params0) is linear in ε: ratio 2 up to float32 rounding.
        const linear = step.slice(1).map((s, i) => step[i] / s);
        for (const r of linear) assert.ok(Math.abs(r - 2) < 1e-3, `${m.name}: fLin step ratios ${linear}`);
        console.log(
          `  ${m.name}: ‖f − fLin‖ = ${rem.map((r) => r.toExponential(2)).join(", ")}; ratios ${
            ratios.map((r) => r.toFixed(3)).join(", ")
          }; linear-part ratios ${linear.map((r) => r.toFixed(5)).join(", ")}`,
        );
        tf.dispose([y0, lin0, x, ...Object.values(p0), ...Object.values(d)]);
        fLin.dispose();
      }
    },
  });

  Deno.test({
    name: `empiricalNtkFn(linearize(f, params0)) at random params equals f's NTK at params0 [${backend}]`,
    ...opts,
    fn: async () => {
      await tf.setBackend(backend);
      const cases: [Model, readonly ("auto" | "jacobian" | "ntkvp" | "structured")[]][] = [
        [mlp("relu"), ["jacobian", "ntkvp", "structured", "auto"]],
        [convNet(), ["auto"]],
      ];
      for (const [m, methods] of cases) {
        const p0 = m.params(), [x1, x2] = [m.input(3, 1), m.input(4, 2)];
        const p = shifted(p0, direction(p0, 200), 0.5);
        const fLin = linearize(m.f, p0);
        const want = await empiricalNtkFn(m.f, { method: "jacobian", traceAxes: [] })(x1, x2, p0);
        const atP = await empiricalNtkFn(m.f, { method: "jacobian", traceAxes: [] })(x1, x2, p);
        const moved = await tensorRelError(atP, want);
        assert.ok(moved > 1e-2, `${m.name}: f's NTK should change with params (${moved})`);
        for (const method of methods) {
          const before = tf.memory().numTensors;
          const got = await empiricalNtkFn(fLin, { method, traceAxes: [] })(x1, x2, p);
          assert.equal(tf.memory().numTensors - before, 1, "only the kernel stays alive");
          const err = await tensorRelError(got, want);
          assert.ok(err <= 1e-4, `${m.name} (${method}): NTK of fLin vs f's NTK at params0: ${err}`);
          console.log(`  ${m.name} (${method}): ${err.toExponential(2)} (f's own NTK moved by ${moved.toFixed(3)})`);
          got.dispose();
        }
        fLin.dispose();
        tf.dispose([want, atP, x1, x2, ...Object.values(p0), ...Object.values(p)]);
      }
    },
  });

  Deno.test({
    name: `linearize() of a tfjs-layers model: NTK of fLin equals the model's NTK at params0 [${backend}]`,
    ...opts,
    fn: async () => {
      await tf.setBackend("cpu");
      const model = tf.sequential({
        layers: [
          tf.layers.conv2d({
            filters: 3,
            kernelSize: 3,
            inputShape: [5, 5, 2],
            activation: "tanh",
            kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }),
          }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotNormal({ seed: 2 }) }),
        ],
      });
      const { f, params } = fromLayersModel(model);
      const x = randn([3, 5, 5, 2], 5);
      await tf.setBackend(backend);
      const fLin = linearize(f, params);
      const p = shifted(params, direction(params, 300), 0.5);
      const want = await empiricalNtkFn(f, { traceAxes: [] })(x, null, params);
      const got = await empiricalNtkFn(fLin, { traceAxes: [] })(x, null, p);
      const atP = await empiricalNtkFn(f, { traceAxes: [] })(x, null, p);
      const moved = await tensorRelError(atP, want);
      assert.ok(moved > 1e-2, `the model's NTK should change with params (${moved})`);
      const err = await tensorRelError(got, want);
      assert.ok(err <= 1e-4, `layers model: ${err}`);
      console.log(`  layers model: ${err.toExponential(2)} (the model's own NTK moved by ${moved.toFixed(3)})`);
      fLin.dispose();
      tf.dispose([want, got, atP, x, ...Object.values(p)]);
      model.dispose();
    },
  });
}

Deno.test({
  name: "linearize() works on webgpu: fLin and its NTK",
  ...opts,
  fn: async () => {
    await tf.setBackend("webgpu");
    const m = mlp("tanh", { inputDim: 50, width: 64, out: 3 });
    const p0 = m.params(), x = m.input(12, 1), d = direction(p0, 400, 0.1);
    const fLin = linearize(m.f, p0);
    const p = shifted(p0, d, 1);
    const before = tf.memory().numTensors;
    const y = fLin(p, x);
    assert.equal(tf.memory().numTensors - before, 1);
    // The same expansion by tf's own JVP-free route: f(p0) + (f(p0 + hd) − f(p0 − hd)) / 2h.
    const h = 1e-2;
    const fd = tf.tidy(() => {
      const [fp, fm, f0] = [m.f(shifted(p0, d, h), x), m.f(shifted(p0, d, -h), x), m.f(p0, x)] as tf.Tensor[];
      return tf.add(f0, tf.div(tf.sub(fp, fm), 2 * h));
    });
    const err = await tensorRelError(y, fd);
    assert.ok(err <= 1e-3, `fLin vs central differences: ${err}`);
    const want = await empiricalNtkFn(m.f, { traceAxes: [] })(x, null, p0);
    const got = await empiricalNtkFn(fLin, { traceAxes: [] })(x, null, p);
    const errNtk = await tensorRelError(got, want);
    assert.ok(errNtk <= 1e-4, `NTK of fLin on webgpu: ${errNtk}`);
    console.log(`  fLin vs central differences ${err.toExponential(2)}; NTK ${errNtk.toExponential(2)}`);
    fLin.dispose();
    tf.dispose([y, fd, want, got, x, ...Object.values(p0), ...Object.values(p), ...Object.values(d)]);
  },
});

Deno.test({
  name: "linearize() keeps its own params0 until dispose(), and leaks nothing",
  ...opts,
  fn: async () => {
    await tf.setBackend("cpu");
    const m = mlp("tanh");
    const x = m.input(3, 1);
    const before = tf.memory().numTensors;
    const p0 = m.params();
    const ref = tf.tidy(() => m.f(p0, x) as tf.Tensor);
    const fLin = linearize(m.f, p0);
    tf.dispose(Object.values(p0)); // the caller's copy may go: fLin holds its own
    assert.equal(tf.memory().numTensors - before, 1 + Object.keys(fLin.params0).length);
    const y = fLin(fLin.params0 as Params, x);
    assert.ok((await tensorRelError(y, ref)) <= 1e-6);
    tf.dispose([y, ref]);
    fLin.dispose();
    fLin.dispose(); // twice is harmless
    assert.equal(tf.memory().numTensors, before, "dispose() frees the copy of params0");
    assert.throws(() => fLin(m.params(), x), /disposed/);
    tf.dispose(x);
  },
});

Deno.test({
  name: "linearize() rejects mismatched parameters with named errors",
  ...opts,
  fn: async () => {
    await tf.setBackend("cpu");
    const m = mlp("tanh");
    const p0 = m.params(), x = m.input(3, 1);
    assert.throws(() => linearize(m.f, { ...p0, w1: tf.zeros([3, 8], "int32") }), DTypeError);
    const fLin = linearize(m.f, p0);
    const wrong = tf.zeros([8, 9]);
    const before = tf.memory().numTensors;
    const named = (arg: string) => (e: unknown) => e instanceof ShapeMismatchError && e.argument === arg;
    const { w2: _, ...missing } = p0;
    assert.throws(() => fLin(missing, x), named('params["w2"]'));
    assert.throws(() => fLin({ ...p0, w2: wrong }, x), named('params["w2"]'));
    assert.throws(() => fLin({ ...p0, extra: wrong }, x), named('params["extra"]'));
    assert.equal(tf.memory().numTensors, before, "errors leave no tensors behind");
    fLin.dispose();
    const f: ParamFn = m.f;
    assert.equal(typeof linearize(f, {}), "function", "no parameters: fLin is f(params0, x)");
    tf.dispose([wrong, x, ...Object.values(p0)]);
  },
});
