// Fuzzer findings on empty things (shrunk programs), every method against the explicit Jacobian
// (tf.grads, cpu) of tests/fuzz/runner.ts: a zero-size intermediate before a non-empty output, a
// traced output axis of size 0 (the mean over nothing is NaN on both sides, as neural-tangents),
// a function with no parameters at all (zeros, on every backend), and an op linearized on an empty tensor.
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import assert from "node:assert/strict";
import { type BackendName, empiricalNtkFn, initBackend, type NtkMethod } from "../../mod.ts";
import { explicitNtk } from "../fuzz/runner.ts";
import { NATIVE_IF_PRESENT } from "../_native.ts";

type P = Record<string, tf.Tensor>;
type F = (p: P, x: tf.Tensor | tf.Tensor[]) => tf.Tensor;
const METHODS: NtkMethod[] = ["jacobian", "ntkvp", "structured", "auto"];
const opts = { sanitizeOps: false, sanitizeResources: false };

/** Every method on `backend` against the explicit NTK; NaN only where the oracle has NaN. */
async function check(backend: BackendName, f: F, params: () => P, x1: () => tf.Tensor, traceAxes: number[]) {
  const ref = await explicitNtk(f, params, x1, null, traceAxes, []);
  await initBackend(backend);
  try {
    const [p, x] = [params(), x1()];
    const before = [...Object.values(p), x].map((t) => Array.from(t.dataSync()));
    for (const method of METHODS) {
      const n0 = tf.memory().numTensors;
      const k = await empiricalNtkFn(f, { method, traceAxes })(x, null, p);
      assert.equal(tf.memory().numTensors - n0, 1, `${method}: only the kernel stays alive`);
      assert.deepEqual(k.shape, ref.shape, method);
      const got = await k.data();
      const scale = Math.max(...ref.data.map((v) => (Number.isNaN(v) ? 0 : Math.abs(v))), 1e-30);
      for (let i = 0; i < got.length; i++) {
        if (Number.isNaN(ref.data[i])) assert.ok(Number.isNaN(got[i]), `${method} entry ${i}: ${got[i]}, not NaN`);
        else {assert.ok(
            Math.abs(got[i] - ref.data[i]) <= 1e-4 * scale,
            `${method} entry ${i}: ${got[i]} vs ${ref.data[i]}`,
          );}
      }
      k.dispose();
    }
    const after = [...Object.values(p), x].map((t) => Array.from(t.dataSync()));
    assert.deepEqual(after, before, "the caller's tensors are unchanged");
    tf.dispose([x, ...Object.values(p)]);
  } finally {
    await initBackend("cpu");
  }
}

const fill = (shape: number[], seed: number) =>
  tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(seed + 1.7 * i)), shape);

// 1. A [1,0] weight makes every intermediate after it empty, yet the output [1,1,1] is not: the
// kernel is exactly zero through that path (and the separable conv's weights still count).
const zeroPath: F = (p, x) => {
  let h = tf.reshape(x as tf.Tensor, [-1, 1, 1, 1]) as tf.Tensor4D;
  h = tf.separableConv2d(h, p.w0 as tf.Tensor4D, p.w1 as tf.Tensor4D, [1, 1], "valid", [1, 1]);
  h = tf.reshape(
    tf.matMul(tf.reshape(h, [-1, 1]), p.w2 as tf.Tensor2D),
    [...h.shape.slice(0, -1), 0] as [number, number, number, number],
  );
  return tf.conv2d(h, p.w3 as tf.Tensor4D, [1, 1], "valid", "NHWC", [1, 1]);
};
const zeroPathParams = () => ({
  w0: fill([1, 1, 1, 1], 1),
  w1: fill([1, 1, 1, 1], 2),
  w2: tf.zeros([1, 0]),
  w3: tf.zeros([1, 1, 0, 1]),
});

// 2. Attention, then a slice to size 0 on a traced axis: the mean over nothing.
const attention: F = (p, x) => {
  const h = tf.reshape(x as tf.Tensor, [-1, 1, 1]);
  const proj = (w: tf.Tensor) => tf.reshape(tf.matMul(tf.reshape(h, [-1, 1]), w as tf.Tensor2D), [h.shape[0], 1, 1]);
  const sc = tf.matMul(proj(p.w0) as tf.Tensor3D, proj(p.w1) as tf.Tensor3D, false, true);
  const y = tf.matMul(tf.softmax(sc), proj(p.w2) as tf.Tensor3D);
  return tf.slice(y, [0, 0, 0], [-1, 0, 1]);
};
const attentionParams = () => ({ w0: fill([1, 1], 1), w1: fill([1, 1], 2), w2: fill([1, 1], 3) });

// 3. No parameters at all: every kernel entry is a sum over nothing.
const noParams: F = (_p, x) => tf.avgPool3d(tf.reshape(x as tf.Tensor, [-1, 3, 2, 1, 1]) as tf.Tensor5D, 1, 1, "valid");

// 4. An empty slice through a matMul into max pooling: the pooling's linearization never runs on
// an empty tensor (the output [N,0,1,1,1] has no entries; its traced mean is NaN).
const emptyPool: F = (p, x) => {
  let h = tf.slice(x as tf.Tensor, [0, 0], [-1, 0]);
  h = tf.matMul(tf.reshape(h, [1, 0, 1]), p.w0 as tf.Tensor3D);
  return tf.maxPool3d(tf.reshape(h, [1, 0, 1, 1, 1]) as tf.Tensor5D, 1, 1, "valid");
};

for (const backend of ["cpu", ...NATIVE_IF_PRESENT, "wasm"] as const) {
  Deno.test({
    name: `zero-size: a [1,0] weight empties the path to a non-empty output; kernel = explicit Jacobian's [${backend}]`,
    ...opts,
    fn: () => check(backend, zeroPath, zeroPathParams, () => fill([1, 1], 0.5), [1, -2]),
  });
  Deno.test({
    name: `zero-size: a traced output axis of size 0 gives NaN where the explicit Jacobian's mean does [${backend}]`,
    ...opts,
    fn: () => check(backend, attention, attentionParams, () => fill([1, 1], 0.5), [1, -1]),
  });
  Deno.test({
    name: `zero-size: no parameters (avgPool3d) gives zeros like the explicit Jacobian's [${backend}]`,
    ...opts,
    fn: () => check(backend, noParams, () => ({}), () => fill([3, 6], 0.5), [4]),
  });
  Deno.test({
    name: `zero-size: max pooling of an empty slice (output [1,0,1,1,1]) = explicit Jacobian's [${backend}]`,
    ...opts,
    fn: () => check(backend, emptyPool, () => ({ w0: fill([1, 1, 1], 1) }), () => fill([1, 1], 0.5), [1, -3, 4]),
  });
}
