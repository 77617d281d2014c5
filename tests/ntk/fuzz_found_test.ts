// Regressions for the fuzzer's findings (found-A … found-G, tests/fuzz/regressions_test.ts on the
// fuzz branch), each shrunk to one small program. Every method's kernel is compared with J1·J2ᵀ
// from explicit tf.grads Jacobians on cpu (tests/_ref.ts), 1e-4·max|K| (1e-3 on webgpu).
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import "../../src/core/backend.ts";
import { empiricalNtkFn, type NtkMethod } from "../../mod.ts";
import { onCpu, referenceNtk } from "../_ref.ts";
import { NATIVE_IF_PRESENT } from "../_native.ts";

type P = Record<string, tf.Tensor>;
type F = (p: P, x: tf.Tensor | tf.Tensor[]) => tf.Tensor;
const opts = { sanitizeOps: false, sanitizeResources: false };
const METHODS = ["jacobian", "ntkvp", "structured", "auto"] as const;
const tolOn = (backend: string) => (backend === "webgpu" ? 1e-3 : 1e-4);

/** Runs `body` on `backend`; on webgpu with the CPU hand-off off, so its shaders really run. */
async function on<T>(backend: string, body: () => Promise<T>): Promise<T> {
  await tf.setBackend(backend);
  if (backend === "webgpu") tf.env().set("WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD", 0);
  try {
    return await body();
  } finally {
    if (backend === "webgpu") tf.env().set("WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD", 1000);
    await tf.setBackend("cpu");
  }
}

/** Every method's NTK of f on `backend` against the explicit-Jacobian oracle on cpu. */
async function check(
  backend: string,
  methods: readonly NtkMethod[],
  f: F,
  params: () => P,
  x1: () => tf.Tensor,
  traceAxes: number[],
  diagonalAxes: number[],
) {
  await tf.setBackend("cpu");
  const ref = await onCpu(() => {
    const [p, x] = [params(), x1()];
    const r = referenceNtk(f, p, x, null, traceAxes, diagonalAxes);
    tf.dispose([x, ...Object.values(p)]);
    return r;
  });
  const scale = Math.max(...ref.data.map(Math.abs));
  assert.ok(scale > 0, "the reference kernel is not all zeros");
  await on(backend, async () => {
    const [p, x] = [params(), x1()];
    for (const method of methods) {
      const k = await empiricalNtkFn(f, { method, traceAxes, diagonalAxes })(x, null, p);
      assert.deepEqual(k.shape, ref.shape, method);
      const got = await k.data();
      k.dispose();
      for (let i = 0; i < got.length; i++) {
        const err = Math.abs(got[i] - ref.data[i]);
        assert.ok(err <= tolOn(backend) * scale, `${method}: entry ${i} is ${got[i]}, want ${ref.data[i]}`);
      }
    }
    tf.dispose([x, ...Object.values(p)]);
  });
}

// found-A: structured and auto threw "contract: repeated rhs label" from the einsum planner for an
// embedding (a parameter gathered by int inputs) with the example axis in diagonalAxes.
for (const backend of ["cpu", ...NATIVE_IF_PRESENT, "wasm", "webgpu"]) {
  Deno.test({
    name: `found-A: every method's NTK of tf.gather(p.w, int x) with diagonalAxes [0] [${backend}]`,
    ...opts,
    fn: () =>
      check(
        backend,
        METHODS,
        (p, x) => tf.gather(p.w, x as tf.Tensor),
        () => ({ w: tf.tensor2d([[1], [2], [3]]) }),
        () => tf.tensor2d([[0, 2], [2, 2]], [2, 2], "int32"),
        [-1],
        [0],
      ),
  });
}

// found-A, wider: a 4×2 table, three examples of two lookups, the full per-example kernel.
for (const backend of ["cpu", "webgpu"]) {
  Deno.test({
    name: `found-A: every method's NTK of tf.gather(w [4,2], int x [3,2]), traceAxes [], diagonalAxes [0] [${backend}]`,
    ...opts,
    fn: () =>
      check(
        backend,
        METHODS,
        (p, x) => tf.gather(p.w, x as tf.Tensor),
        () => ({ w: tf.tensor2d([[1, -1], [2, 0.5], [3, 1.5], [-0.5, 2]]) }),
        () => tf.tensor2d([[0, 3], [1, 1], [3, 2]], [3, 2], "int32"),
        [],
        [0],
      ),
  });
}

// found-A, mixed: one side of a use pair looks the parameter up (gather), the other multiplies
// it (matMul), so the lookup's row label meets an operand that already carries it.
for (const backend of ["cpu", "webgpu"]) {
  for (const [traceAxes, diagonalAxes] of [[[-1], [0]], [[], [0, 1]]]) {
    Deno.test({
      name: `found-A: every method's NTK of gather(w, x) + x·w, diagonalAxes [${diagonalAxes}] [${backend}]`,
      ...opts,
      fn: () =>
        check(
          backend,
          METHODS,
          (p, x) =>
            tf.add(
              tf.gather(p.w, x as tf.Tensor),
              tf.expandDims(tf.matMul(tf.cast(x as tf.Tensor, "float32"), p.w), 1),
            ),
          () => ({ w: tf.tensor2d([[1, -2], [0.5, 3]]) }),
          () => tf.tensor2d([[0, 1], [1, 1], [1, 0]], [3, 2], "int32"),
          traceAxes,
          diagonalAxes,
        ),
    });
  }
}

// found-B: webgpu raised tfjs's raw "GPU for rank 8 is not yet supported" for a full kernel of
// rank 8 through a depthwise convolution (output [N, 1, 1, 1], traceAxes []).
for (const backend of ["cpu", ...NATIVE_IF_PRESENT, "wasm", "webgpu"]) {
  Deno.test({
    name: `found-B: every method's full NTK of rank 8 through depthwiseConv2d [${backend}]`,
    ...opts,
    fn: () =>
      check(
        backend,
        METHODS,
        (p, x) =>
          tf.depthwiseConv2d(tf.reshape(x as tf.Tensor, [-1, 1, 1, 1]) as tf.Tensor4D, p.w as tf.Tensor4D, 1, "valid"),
        () => ({ w: tf.tensor4d([[[[0.7]]]]) }),
        () => tf.tensor2d([[0.5]]),
        [],
        [],
      ),
  });
}

// found-B, masks: a ReLU of a rank-5 activation raised "Where for rank 5 is not yet supported" on
// webgpu (f's own gradient masks, and tf.where in f itself).
for (const backend of ["cpu", "webgpu"]) {
  Deno.test({
    name: `found-B: every method's NTK through relu and tf.where of rank-5 activations [${backend}]`,
    ...opts,
    fn: () =>
      check(
        backend,
        METHODS,
        (p, x) => {
          const xr = tf.reshape(x as tf.Tensor, [-1, 2, 1, 1, 1]), h = tf.mul(xr, p.w);
          return tf.add(tf.relu(h), tf.where(tf.greater(xr, 0.1), h, tf.mul(h, 0.5)));
        },
        () => ({ w: tf.tensor1d([1.5]) }),
        () => tf.tensor2d([[0.7, -0.3], [-0.4, 0.2]]),
        [1, -1],
        [],
      ),
  });
}

// found-C: webgpu, structured: a transposed convolution raised tfjs's raw "Size(n) must match the
// product of shape …".
for (const backend of ["cpu", "webgpu"]) {
  Deno.test({
    name: `found-C: every method's NTK of conv2dTranspose (filter [2,2,1,1], valid) [${backend}]`,
    ...opts,
    fn: () =>
      check(
        backend,
        METHODS,
        (p, x) =>
          tf.conv2dTranspose(
            tf.reshape(x as tf.Tensor, [-1, 1, 1, 1]) as tf.Tensor4D,
            p.w as tf.Tensor4D,
            [(x as tf.Tensor).shape[0], 2, 2, 1],
            1,
            "valid",
          ),
        () => ({ w: tf.tensor4d([0.3, -0.5, 0.8, 1.1], [2, 2, 1, 1]) }),
        () => tf.tensor2d([[0.5]]),
        [1, -2],
        [],
      ),
  });
}

// found-D: tfjs-wasm's Conv2D and DepthwiseConv2dNative were wrong with 'same' padding when one
// axis needs a negative pad (stride 2, kernel 1, even size) while another is padded: f's own
// forward pass, and so every kernel.
const sameConvs: [string, F][] = [
  [
    "conv2d",
    (p, x) => tf.conv2d(tf.reshape(x as tf.Tensor, [-1, 2, 1, 1]) as tf.Tensor4D, p.w as tf.Tensor4D, [2, 1], "same"),
  ],
  [
    "depthwiseConv2d",
    (p, x) =>
      tf.depthwiseConv2d(tf.reshape(x as tf.Tensor, [-1, 2, 1, 1]) as tf.Tensor4D, p.w as tf.Tensor4D, [2, 1], "same"),
  ],
];
for (const [name, f] of sameConvs) {
  for (const backend of ["cpu", ...NATIVE_IF_PRESENT, "wasm"]) {
    Deno.test({
      name: `found-D: every method's NTK of ${name} (x [N,2,1,1], filter [1,2], strides [2,1], same) [${backend}]`,
      ...opts,
      fn: () =>
        check(
          backend,
          METHODS,
          f,
          () => ({ w: tf.tensor4d([0.3, -0.7], [1, 2, 1, 1]) }),
          () => tf.tensor2d([[0.5, -1.5], [1.2, 0.4]]),
          [],
          [],
        ),
    });
  }
}

// found-D and found-F: the forward passes themselves (the corrected wasm kernels of
// src/wasm_fixes.ts) agree with cpu over small geometries, 'same' and 'valid', negative inputs.
Deno.test({
  name: "found-D/F: conv2d, depthwiseConv2d ('same') and maxPool3d on wasm match cpu",
  ...opts,
  fn: async () => {
    const cases: (() => tf.Tensor)[] = [];
    for (
      const [h, w, kh, kw, sh, sw] of [[2, 1, 1, 2, 2, 1], [4, 3, 1, 3, 2, 2], [5, 4, 2, 1, 3, 2], [3, 2, 3, 2, 2, 1]]
    ) {
      const xs = Array.from({ length: h * w * 2 }, (_, i) => Math.sin(i * 1.7 + h) - 0.3);
      const fs = Array.from({ length: kh * kw * 6 }, (_, i) => Math.cos(i * 0.9 + kw));
      const x = () => tf.tensor4d(xs, [1, h, w, 2]), f = () => tf.tensor4d(fs, [kh, kw, 2, 3]);
      cases.push(() => tf.conv2d(x(), f(), [sh, sw], "same"));
      cases.push(() => tf.depthwiseConv2d(x(), f(), [sh, sw], "same"));
      cases.push(() => tf.maxPool3d(tf.tensor5d(xs, [1, h, w, 1, 2]), [kh, kw, 1], [sh, sw, 1], "same"));
      cases.push(() => tf.maxPool3d(tf.tensor5d(xs, [1, 1, h, w, 2]), [1, 1, 1], [1, sh, sw], "valid"));
    }
    await tf.setBackend("cpu");
    for (const [i, make] of cases.entries()) {
      const want = await onCpu(() => tf.tidy(make).data());
      const got = await on("wasm", () => tf.tidy(make).data());
      // Sums in another order: 1e-5 of the largest entry.
      const scale = Math.max(...Array.from(want, Math.abs));
      assert.equal(got.length, want.length);
      for (let j = 0; j < got.length; j++) {
        assert.ok(Math.abs(got[j] - want[j]) <= 1e-5 * scale, `case ${i}, entry ${j}: ${got[j]}, want ${want[j]}`);
      }
    }
  },
});

// found-F: tfjs-wasm's MaxPool3D returned FLT_MIN for a window of negative inputs (its running
// maximum started at FLT_MIN, not −∞), and every kernel lost that example.
for (const backend of ["cpu", ...NATIVE_IF_PRESENT, "wasm"]) {
  Deno.test({
    name: `found-F: every method's NTK through maxPool3d of a negative input [${backend}]`,
    ...opts,
    fn: () =>
      check(
        backend,
        METHODS,
        (p, x) =>
          tf.matMul(
            tf.reshape(tf.maxPool3d(tf.reshape(x as tf.Tensor, [-1, 1, 1, 1, 1]) as tf.Tensor5D, 1, 1, "valid"), [
              -1,
              1,
            ]),
            p.w,
          ),
        () => ({ w: tf.tensor2d([[1.5]]) }),
        () => tf.tensor2d([[0.7], [-0.4]]),
        [],
        [],
      ),
  });
}

// found-E: on webgpu, a structured call that failed (x1 with zero rows) overwrote the caller's
// parameter with zeros. Whatever the call returns or throws, the caller's tensors keep their values.
// The cause is tfjs-webgpu's conv2d on an empty batch (below); the call itself still fails on
// zero rows (issue 11's bug 4, fixed elsewhere).
for (const backend of ["cpu", "webgpu"]) {
  Deno.test({
    name: `found-E: a failing structured call leaves the caller's parameters unchanged [${backend}]`,
    ...opts,
    fn: () =>
      on(backend, async () => {
        const f: F = (p, x) => {
          const h = tf.reshape(tf.sum(x as tf.Tensor, 1, true), [-1, 1, 1, 1]) as tf.Tensor4D;
          const d = tf.depthwiseConv2d(h, tf.unstack(p.w0)[1] as tf.Tensor4D, 1, "valid");
          return tf.conv2d(d, tf.reshape(p.w1, [1, 2, 1, 3]) as tf.Tensor4D, 1, "same");
        };
        const p = { w0: tf.tensor5d([0.5, 0.97], [2, 1, 1, 1, 1]), w1: tf.tensor1d([1, 2, 3, 4, 5, 6]) };
        const x1 = tf.zeros([0, 2]), x2 = tf.tensor2d([[1, 2], [3, 4], [5, 6]]);
        try {
          (await empiricalNtkFn(f, { method: "structured", traceAxes: [] })(x1, x2, p)).dispose();
        } catch { /* a named error is fine here; changed parameters are not */ }
        assert.deepEqual(Array.from(await p.w0.data()), [0.5, Math.fround(0.97)]);
        assert.deepEqual(Array.from(await p.w1.data()), [1, 2, 3, 4, 5, 6]);
        tf.dispose([x1, x2, p.w0, p.w1]);
      }),
  });
}

// found-G: on webgpu, the NTK through a pad of a rank-5 activation was all zeros for jacobian and
// structured (tfjs-webgpu's pad is wrong from rank 5).
for (const backend of ["cpu", "webgpu"]) {
  Deno.test({
    name: `found-G: every method's NTK through a pad of a rank-5 activation [${backend}]`,
    ...opts,
    fn: () =>
      check(
        backend,
        METHODS,
        (p, x) =>
          tf.mul(tf.pad(tf.reshape(x as tf.Tensor, [-1, 1, 1, 1, 1]), [[0, 0], [0, 1], [0, 0], [0, 0], [0, 0]]), p.w),
        () => ({ w: tf.tensor1d([1.5]) }),
        () => tf.tensor2d([[0.7], [-0.4]]),
        [1, -3, 4],
        [],
      ),
  });
}

// found-G's cause: tfjs-webgpu's pad is all zeros from rank 5; the corrected kernel
// (src/core/tfjs_fixes.ts) pads axis by axis. Exact against cpu, and it frees its intermediates.
Deno.test({
  name: "found-G: tf.pad of rank 5 and 6 on webgpu matches cpu and leaks no buffer",
  ...opts,
  fn: async () => {
    await tf.setBackend("cpu");
    const cases: [number[], [number, number][], number][] = [
      [[2, 1, 1, 1, 1], [[0, 0], [0, 1], [0, 0], [0, 0], [0, 0]], 0],
      [[2, 1, 3, 1, 2], [[0, 0], [1, 1], [0, 1], [0, 0], [1, 0]], -2.5],
      [[1, 2, 1, 2, 1, 2], [[1, 0], [0, 0], [2, 1], [0, 0], [0, 1], [1, 1]], 0],
      [[2, 1, 1, 2, 1], [[0, 0], [0, 0], [0, 0], [0, 0], [0, 0]], 0],
    ];
    for (const [shape, widths, value] of cases) {
      const make = () => tf.tidy(() => tf.pad(tf.reshape(tf.range(1, prod(shape) + 1), shape), widths, value));
      const want = await onCpu(() => make().data());
      const got = await on("webgpu", async () => {
        // deno-lint-ignore no-explicit-any
        const backend = tf.backend() as any;
        const [tensors, ids] = [tf.memory().numTensors, backend.numDataIds()];
        const t = make();
        const data = await t.data();
        t.dispose();
        assert.equal(tf.memory().numTensors, tensors, "tensors leak");
        assert.equal(backend.numDataIds(), ids, "buffers leak");
        return data;
      });
      assert.deepEqual(Array.from(got), Array.from(want), `${shape} padded by ${widths}`);
    }
  },
});

const prod = (xs: number[]) => xs.reduce((a, b) => a * b, 1);

// found-E's cause: tfjs-webgpu's conv2d of an empty batch threw halfway and freed the filter's
// buffer for reuse (plain tfjs, no fast-ntk). The corrected kernels return the empty output.
Deno.test({
  name: "found-E: conv2d and depthwiseConv2d of an empty batch on webgpu keep the filter intact",
  ...opts,
  fn: () =>
    on("webgpu", async () => {
      const w1 = tf.tensor1d([1, 2, 3, 4, 5, 6]), w0 = tf.tensor4d([0.97], [1, 1, 1, 1]);
      const before = tf.memory().numTensors;
      const y = tf.tidy(() => {
        const h = tf.zeros([0, 1, 1, 1]) as tf.Tensor4D;
        const d = tf.depthwiseConv2d(h, w0 as tf.Tensor4D, 1, "valid");
        return tf.conv2d(d, tf.reshape(w1, [1, 2, 1, 3]) as tf.Tensor4D, 1, "same");
      });
      assert.deepEqual(y.shape, [0, 1, 1, 3]);
      y.dispose();
      const later = tf.zeros([16]); // a later kernel that would take a freed buffer
      await later.data();
      later.dispose();
      assert.equal(tf.memory().numTensors, before);
      assert.deepEqual(Array.from(await w1.data()), [1, 2, 3, 4, 5, 6]);
      assert.deepEqual(Array.from(await w0.data()), [Math.fround(0.97)]);
      tf.dispose([w0, w1]);
    }),
});
