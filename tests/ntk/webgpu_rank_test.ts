// Fuzz findings on webgpu (seed 20261204, shrunk): tfjs-webgpu throws "GPU for rank 7 is not
// yet supported" from any kernel given more than 6 axes. (1) The engine's own strided slice of a
// view (tf.unstack(p.w)[1] feeding a conv3d) reached rank 7 through its lead axes: every method
// must now equal the explicit Jacobian (tf.grads on cpu), 1e-3 relative on webgpu. (2) f's own
// rank-7 tensor that tfjs-webgpu cannot run even on merged axes (an add whose broadcast
// alternates axis by axis) is a GpuError that says so, not a ShapeMismatchError blaming x1. (3) The zero kernel of a function without parameters, filled at kernel rank 10.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { empiricalNtkFn, GpuError, initBackend, type NtkMethod } from "../../mod.ts";
import { explicitNtk } from "../fuzz/runner.ts";

type P = Record<string, tf.Tensor>;
const METHODS: NtkMethod[] = ["jacobian", "ntkvp", "structured", "auto"];
const opts = { sanitizeOps: false, sanitizeResources: false };
const fill = (shape: number[], seed: number) =>
  tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(seed + 1.7 * i)), shape);

const unstackConv = (p: P, x: tf.Tensor | tf.Tensor[]) => {
  const h = tf.reshape(x as tf.Tensor, [-1, 2, 1, 1, 1]) as tf.Tensor5D;
  return tf.conv3d(h, tf.unstack(p.w)[1] as tf.Tensor5D, [1, 1, 1], "valid", "NDHWC", [1, 1, 1]);
};

Deno.test({
  name: "webgpu: a strided slice of a view under rank-7 lead axes, every method = explicit Jacobian",
  ...opts,
  fn: async () => {
    const params = () => ({ w: fill([2, 1, 1, 1, 1, 2], 1) });
    const x1 = () => fill([3, 2], 2);
    for (const traceAxes of [[], [1, -3, 4]]) {
      const ref = await explicitNtk(unstackConv, params, x1, null, traceAxes, []);
      await initBackend("webgpu");
      try {
        const [p, x] = [params(), x1()];
        for (const method of METHODS) {
          const k = await empiricalNtkFn(unstackConv, { method, traceAxes })(x, null, p);
          assert.deepEqual(k.shape, ref.shape, method);
          const got = await k.data();
          const scale = Math.max(...ref.data.map(Math.abs));
          assert.ok(scale > 0);
          got.forEach((v, i) =>
            assert.ok(Math.abs(v - ref.data[i]) <= 1e-3 * scale, `${method} [${i}]: ${v} vs ${ref.data[i]}`)
          );
          k.dispose();
        }
        tf.dispose([x, ...Object.values(p)]);
      } finally {
        await initBackend("cpu");
      }
    }
  },
});

Deno.test({
  name: "webgpu: f's own rank-7 tensor is a GpuError naming the limit, and nothing of the caller's is disposed",
  ...opts,
  fn: async () => {
    await initBackend("webgpu");
    try {
      // Broadcast patterns that alternate axis by axis: no merge brings this add under 7 axes.
      const f = (p: P, x: tf.Tensor | tf.Tensor[]) => tf.add(tf.reshape(x as tf.Tensor, [-1, 1, 2, 1, 2, 1, 2]), p.w);
      const [x, w] = [tf.ones([2, 8]), tf.ones([2, 1, 2, 1, 2, 1])];
      for (const method of METHODS) {
        await assert.rejects(
          () => empiricalNtkFn(f, { method, traceAxes: [] })(x, null, { w }),
          (e: Error) => e instanceof GpuError && /rank 7/.test(e.message) && /wasm/.test(e.message),
        );
        assert.ok(!x.isDisposed && !w.isDisposed, method);
      }
      tf.dispose([x, w]);
    } finally {
      await initBackend("cpu");
    }
  },
});

Deno.test({
  name: "webgpu: the kernel of a function without parameters is zeros even at kernel rank 10",
  ...opts,
  fn: async () => {
    await initBackend("webgpu");
    try {
      const f = (_p: P, x: tf.Tensor | tf.Tensor[]) =>
        tf.avgPool3d(tf.reshape(x as tf.Tensor, [-1, 1, 1, 1, 1]) as tf.Tensor5D, 1, 1, "valid");
      const x = tf.ones([2]);
      for (const method of METHODS) {
        const k = await empiricalNtkFn(f, { method, traceAxes: [] })(x, null, {});
        assert.deepEqual(k.shape, [2, 2, 1, 1, 1, 1, 1, 1, 1, 1], method);
        assert.deepEqual(Array.from(await k.data()), [0, 0, 0, 0], method);
        k.dispose();
      }
      x.dispose();
    } finally {
      await initBackend("cpu");
    }
  },
});
