// Every layer case × every method on cpu, and the adapter's own contracts: the model is left
// untouched, several inputs/outputs, the `params` option, and layers that cannot be supported.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import "../../src/core/backend.ts";
import {
  empiricalNtkFn,
  fromLayersModel,
  type ParamFn,
  ShapeMismatchError,
  UnsupportedAttributeError,
  UnsupportedKernelError,
} from "../../mod.ts";
import { randn } from "../_data.ts";
import { referenceNtk, relError } from "../_ref.ts";
import { checkLayerCase, N1, N2, TOL } from "./_check.ts";
import { LAYER_CASES, seedWeights } from "./_layer_cases.ts";
import { LAYER_TEST_METHODS } from "./_methods.ts";

const L = tf.layers;
type Params = Record<string, tf.Tensor>;
type Input = tf.Tensor | tf.Tensor[];

function test(name: string, fn: () => Promise<void>) {
  Deno.test({
    name,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      await tf.setBackend("cpu");
      await fn();
    },
  });
}

for (const c of LAYER_CASES) {
  for (const method of LAYER_TEST_METHODS) {
    Deno.test({
      name: `NTK through ${c.name} matches explicit Jacobian [${method}, cpu]`,
      ignore: c.ignore,
      sanitizeOps: false,
      sanitizeResources: false,
      fn: async () => {
        await tf.setBackend("cpu");
        await checkLayerCase(c, method);
      },
    });
  }
}

/** Our NTK (full kernel) of f at `params` on cpu, with the leak check; returns its values. */
async function ntkOf(method: string, f: ParamFn, params: Params, x1: Input, x2: Input) {
  const ntk = empiricalNtkFn(f, { method: method as "jacobian", traceAxes: [] });
  const before = tf.memory().numTensors;
  const kernel = await ntk(x1, x2, params);
  assert.equal(tf.memory().numTensors - before, 1, "only the returned kernel stays alive");
  const out = { data: await kernel.data(), shape: kernel.shape };
  kernel.dispose();
  return out;
}

/** Asserts our NTK of f equals the explicit-Jacobian reference over the same params. */
async function assertMatchesReference(method: string, f: ParamFn, params: Params, x1: Input, x2: Input) {
  const got = await ntkOf(method, f, params, x1, x2);
  const ref = referenceNtk(f, params, x1, x2, [], []);
  assert.deepEqual(got.shape, ref.shape);
  assert.ok(ref.data.some((v) => v !== 0), "the reference kernel is zero");
  const err = relError(got.data, ref.data);
  assert.ok(err <= TOL, `rel error ${err} > ${TOL}`);
  return got;
}

/** Asserts that the NTK of f rejects with `type`, whose message contains every `parts`, leaking nothing. */
async function assertRejects(
  method: string,
  f: ParamFn,
  params: Params,
  x: Input,
  type: new (...a: never[]) => Error,
  parts: string[],
) {
  const before = tf.memory().numTensors;
  const err = await empiricalNtkFn(f, { method: method as "jacobian", traceAxes: [] })(x, null, params).then(
    () => null,
    (e) => e,
  );
  assert.ok(err instanceof type, `expected ${type.name}, got ${err}`);
  for (const p of parts) assert.ok(err.message.includes(p), `"${err.message}" should name ${p}`);
  assert.equal(tf.memory().numTensors, before, "nothing leaks on rejection");
}

const seeded = (m: tf.LayersModel) => (seedWeights(m), m);

/** A custom layer whose call uses a kernel with no linearization (TopK). */
class TopKLayer extends tf.layers.Layer {
  static className = "TopKLayer";
  override call(inputs: Input) {
    return tf.topk(Array.isArray(inputs) ? inputs[0] : inputs, 2).values;
  }
  override computeOutputShape(s: tf.Shape | tf.Shape[]) {
    return [(s as tf.Shape)[0], 2];
  }
}
tf.serialization.registerClass(TopKLayer);

for (const method of LAYER_TEST_METHODS) {
  test(`fromLayersModel leaves the model untouched [${method}, cpu]`, async () => {
    const model = seeded(tf.sequential({
      layers: [
        L.inputLayer({ inputShape: [4, 3] }),
        L.lstm({ units: 5, returnSequences: true }),
        L.batchNormalization(),
        L.flatten(),
        L.dense({ units: 2 }),
      ],
    }));
    const x = randn([N1, 4, 3], 1);
    const predict = () => (model.predict(x) as tf.Tensor).dataSync().slice();
    const weights = () => model.weights.map((w) => w.read().dataSync().slice());
    const [y0, w0] = [predict(), weights()];
    const { f, params } = fromLayersModel(model);
    assert.deepEqual((f(params, x) as tf.Tensor).dataSync(), y0, "f(model's params) = predict");
    const other = Object.fromEntries(Object.entries(params).map(([n, t], i) => [n, randn(t.shape, 50 + i)]));
    assert.notDeepEqual((f(other, x) as tf.Tensor).dataSync(), y0, "f uses the params it is given");
    await ntkOf(method, f, params, x, randn([N2, 4, 3], 2));
    assert.deepEqual(predict(), y0, "predictions");
    assert.deepEqual(weights(), w0, "weights");
    for (const l of model.layers) assert.ok(!Object.hasOwn(l, "call"), `${l.name}.call restored`);
    for (const w of model.weights) assert.ok(!Object.hasOwn(w, "read"), `${w.originalName}.read restored`);
  });

  test(`NTK of a functional model with two inputs matches explicit Jacobian [${method}, cpu]`, async () => {
    const a = tf.input({ shape: [3] }), b = tf.input({ shape: [2, 4] });
    const ha = L.dense({ units: 4, activation: "tanh" }).apply(a) as tf.SymbolicTensor;
    const hb = L.dense({ units: 3, activation: "sigmoid" }).apply(L.flatten().apply(b)) as tf.SymbolicTensor;
    const out = L.dense({ units: 2 }).apply(L.concatenate().apply([ha, hb])) as tf.SymbolicTensor;
    const { f, params } = fromLayersModel(seeded(tf.model({ inputs: [a, b], outputs: out })));
    const x = (n: number, s: number) => [randn([n, 3], s), randn([n, 2, 4], s + 10)];
    await assertMatchesReference(method, f, params, x(N1, 1), x(N2, 2));
  });

  test(`NTK of a model with two outputs (flattened, concatenated) matches explicit Jacobian [${method}, cpu]`, async () => {
    const x = tf.input({ shape: [4] });
    const trunk = L.dense({ units: 5, activation: "tanh" }).apply(x) as tf.SymbolicTensor;
    const first = L.dense({ units: 2 }).apply(trunk) as tf.SymbolicTensor;
    const second = L.reshape({ targetShape: [3, 2] }).apply(L.dense({ units: 6 }).apply(trunk)) as tf.SymbolicTensor;
    const { f, params } = fromLayersModel(seeded(tf.model({ inputs: x, outputs: [first, second] })));
    const got = await assertMatchesReference(method, f, params, randn([N1, 4], 1), randn([N2, 4], 2));
    assert.deepEqual(got.shape, [N1, N2, 8, 8], "O = 2 + 3·2");
  });

  test(`the params option restricts the NTK to the chosen weights [${method}, cpu]`, async () => {
    const model = seeded(tf.sequential({
      layers: [
        L.inputLayer({ inputShape: [4] }),
        L.dense({ name: "hidden", units: 5, activation: "tanh" }),
        L.dense({ name: "last", units: 3 }),
      ],
    }));
    const [x1, x2] = [randn([N1, 4], 1), randn([N2, 4], 2)];
    const full = fromLayersModel(model);
    assert.deepEqual(full.weights.map((w) => [w.name, w.layer, w.className]), [
      ["hidden/kernel", "hidden", "Dense"],
      ["hidden/bias", "hidden", "Dense"],
      ["last/kernel", "last", "Dense"],
      ["last/bias", "last", "Dense"],
    ]);
    const fullK = await ntkOf(method, full.f, full.params, x1, x2);
    const choices: [string, readonly string[] | ((w: { layer: string; name: string }) => boolean), string[]][] = [
      ["names", ["last/kernel", "last/bias"], ["last/kernel", "last/bias"]],
      ["predicate (last layer)", (w) => w.layer === "last", ["last/kernel", "last/bias"]],
      ["predicate (kernels)", (w) => w.name.endsWith("kernel"), ["hidden/kernel", "last/kernel"]],
    ];
    for (const [what, choose, names] of choices) {
      const sub = fromLayersModel(model, { params: choose });
      assert.deepEqual(Object.keys(sub.params), names, what);
      assert.equal(sub.weights.length, 4, "weights lists every trainable weight");
      const got = await assertMatchesReference(method, sub.f, sub.params, x1, x2);
      assert.ok(relError(got.data, fullK.data) > 1e-2, `${what}: differs from the full NTK`);
    }
    assert.throws(() => fromLayersModel(model, { params: ["last/kernel", "nope/kernel"] }), ShapeMismatchError);
  });

  test(`a custom layer calling a kernel with no rule (TopK) is rejected, naming the layer [${method}, cpu]`, async () => {
    const model = seeded(tf.sequential({
      layers: [L.dense({ inputShape: [4], units: 5 }), new TopKLayer({ name: "pick_top" }), L.dense({ units: 2 })],
    }));
    const { f, params } = fromLayersModel(model);
    await assertRejects(method, f, params, randn([N1, 4], 1), UnsupportedKernelError, [
      '"TopK"',
      '"pick_top" (TopKLayer)',
    ]);
  });

  test(`CenterCrop when cropping is rejected: no CropAndResize rule [${method}, cpu]`, async () => {
    const model = seeded(tf.sequential({
      layers: [
        L.conv2d({ inputShape: [5, 6, 2], filters: 3, kernelSize: 2 }),
        L.centerCrop({ name: "crop", height: 2, width: 3 }),
        L.flatten(),
        L.dense({ units: 2 }),
      ],
    }));
    const { f, params } = fromLayersModel(model);
    await assertRejects(method, f, params, randn([N1, 5, 6, 2], 1), UnsupportedKernelError, [
      '"CropAndResize"',
      '"crop" (CenterCrop)',
    ]);
  });

  // tfjs-cpu's batchNorm reads mean/variance/scale/offset cyclically over x's flat entries, so a
  // non-last axis is not normalized per channel (and tfjs's own gradient throws): rejected.
  test(`BatchNormalization over a non-last axis is rejected [${method}, cpu]`, async () => {
    const model = seeded(tf.sequential({
      layers: [L.dense({ inputShape: [4, 3], units: 5 }), L.batchNormalization({ axis: 1 }), L.dense({ units: 2 })],
    }));
    const { f, params } = fromLayersModel(model);
    await assertRejects(method, f, params, randn([N1, 4, 3], 1), UnsupportedAttributeError, ["FusedBatchNorm"]);
  });
}
