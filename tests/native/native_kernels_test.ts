// The native backend's own kernels (src/core/native/: BLAS sgemm through FFI, im2col/col2im)
// against tfjs-backend-cpu's, on random shapes: MatMul with every transpose flag and broadcast
// batch axes, fused MatMul with bias and each activation, Conv2D/FusedConv2D and Conv3D with
// strides, dilations, 'same'/'valid'/explicit pads and both gradients (Conv2DBackpropInput/Filter,
// Conv3DBackpropInputV2/FilterV2), and Transpose of every rank and dtype. Tolerance: 1e-5 of the
// largest entry (summation order differs). Nothing leaks. Ignored where no BLAS opens (CI
// installs libopenblas0-pthread).
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import fc from "fast-check";
import { initBackend } from "../../mod.ts";
import { NATIVE_KERNELS, nativeAvailable } from "../../src/core/native/backend.ts";
import { IM2COL } from "../../src/core/native/conv.ts";

const opts = { sanitizeOps: false, sanitizeResources: false, ignore: !nativeAvailable() };
const RUNS = { numRuns: 60 };

/** Deterministic entries in [-1, 1). */
function filled(shape: number[], seed: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, (_, i) => (((i + 1) * 7919 * (seed + 3)) % 1000) / 500 - 1), shape);
}

/** The outputs of `f` on cpu and on native: shapes equal, entries within 1e-5 of the largest. */
async function agree(f: () => tf.Tensor[], what: string): Promise<void> {
  const run = async (backend: "cpu" | "native") => {
    await initBackend(backend);
    const start = tf.memory().numTensors;
    const outs = tf.tidy(f);
    const r = await Promise.all(outs.map(async (t) => ({ shape: t.shape, v: await t.data() as Float32Array })));
    tf.dispose(outs);
    assert.equal(tf.memory().numTensors, start, `${what}: no tensor leaks on ${backend}`);
    return r;
  };
  const want = await run("cpu"), got = await run("native");
  assert.equal(got.length, want.length);
  for (let i = 0; i < want.length; i++) {
    assert.deepEqual(got[i].shape, want[i].shape, `${what}: output ${i}'s shape`);
    const scale = want[i].v.reduce((m, x) => Math.max(m, Math.abs(x)), 1);
    for (let j = 0; j < want[i].v.length; j++) {
      const d = Math.abs(got[i].v[j] - want[i].v[j]);
      if (!(d <= 1e-5 * scale)) assert.fail(`${what}: output ${i} entry ${j}: ${got[i].v[j]} vs cpu ${want[i].v[j]}`);
    }
  }
}

const dim = (max: number) => fc.integer({ min: 0, max });
const pos = (max: number) => fc.integer({ min: 1, max });
const batchArb = fc.array(fc.constantFrom(2, 3), { maxLength: 2 });

Deno.test({
  name: "native MatMul and fused MatMul (bias, activations) equal tfjs-cpu: transposes, broadcast batches, empty axes",
  ...opts,
  fn: async () => {
    const caseArb = fc.record({
      batch: batchArb,
      onesA: fc.array(fc.boolean(), { minLength: 2, maxLength: 2 }),
      onesB: fc.array(fc.boolean(), { minLength: 2, maxLength: 2 }),
      dropA: dim(2),
      dropB: dim(2),
      m: dim(5),
      n: dim(5),
      k: dim(6),
      tA: fc.boolean(),
      tB: fc.boolean(),
      activation: fc.constantFrom("linear", "relu", "relu6", "elu", "sigmoid", "prelu", "leakyrelu"),
      bias: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        // Batch axes that broadcast: leading ones dropped, others set to 1.
        const batchA = c.batch.map((d, i) => (c.onesA[i] ? 1 : d)).slice(c.dropA);
        const batchB = c.batch.map((d, i) => (c.onesB[i] ? 1 : d)).slice(c.dropB);
        // tfjs-cpu flattens the batch axes first: it broadcasts only a batch of one matrix (else equal batches).
        const [pA, pB] = [batchA, batchB].map((s: number[]) => s.reduce((p, d) => p * d, 1));
        const same = batchA.length === batchB.length && batchA.every((d, i) => d === batchB[i]);
        if (!same && pA !== 1 && pB !== 1) return;
        const a = [...batchA, ...(c.tA ? [c.k, c.m] : [c.m, c.k])],
          b = [...batchB, ...(c.tB ? [c.n, c.k] : [c.k, c.n])];
        await agree(() => {
          const [x, y] = [filled(a, 1), filled(b, 2)];
          const plain = tf.matMul(x, y, c.tA, c.tB);
          const fused = tf.fused.matMul({
            a: x,
            b: y,
            transposeA: c.tA,
            transposeB: c.tB,
            bias: c.bias ? filled([c.n], 3) : undefined,
            activation: c.activation as tf.fused.Activation,
            preluActivationWeights: c.activation === "prelu" ? filled([c.n], 4) : undefined,
            leakyreluAlpha: 0.3,
          });
          return [plain, fused];
        }, JSON.stringify({ a, b, ...c }));
      }),
      RUNS,
    );
  },
});

type Pad = "same" | "valid" | [[number, number], [number, number], [number, number], [number, number]];

Deno.test({
  name: "native Conv2D, FusedConv2D and both gradients equal tfjs-cpu: strides, dilations, same/valid/explicit pads",
  ...opts,
  fn: async () => {
    const caseArb = fc.record({
      batch: dim(2),
      h: pos(7),
      w: pos(7),
      inC: fc.constantFrom(1, 2, 3, 17),
      outC: pos(4),
      kh: pos(3),
      kw: pos(3),
      stride: fc.tuple(pos(3), pos(3)),
      dilation: fc.tuple(pos(2), pos(2)),
      pad: fc.oneof(
        fc.constantFrom<Pad>("same", "valid"),
        fc.tuple(dim(2), dim(2), dim(2), dim(2)).map(([t, b, l, r]): Pad => [[0, 0], [t, b], [l, r], [0, 0]]),
      ),
      activation: fc.constantFrom("linear", "relu", "elu"),
    }).filter((c) => (c.stride[0] === 1 && c.stride[1] === 1) || (c.dilation[0] === 1 && c.dilation[1] === 1))
      .filter((c) =>
        c.pad !== "valid" || (c.h >= (c.kh - 1) * c.dilation[0] + 1 && c.w >= (c.kw - 1) * c.dilation[1] + 1)
      )
      .filter((c) =>
        typeof c.pad === "string" ||
        (c.h + c.pad[1][0] + c.pad[1][1] >= (c.kh - 1) * c.dilation[0] + 1 &&
          c.w + c.pad[2][0] + c.pad[2][1] >= (c.kw - 1) * c.dilation[1] + 1)
      );
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const xs = [c.batch, c.h, c.w, c.inC], ws = [c.kh, c.kw, c.inC, c.outC];
        const plainDilation = c.dilation[0] === 1 && c.dilation[1] === 1;
        await agree(() => {
          const x = filled(xs, 1) as tf.Tensor4D, w = filled(ws, 2) as tf.Tensor4D;
          const conv = (x: tf.Tensor4D, w: tf.Tensor4D) => tf.conv2d(x, w, c.stride, c.pad, "NHWC", c.dilation);
          const fused = tf.fused.conv2d({
            x,
            filter: w,
            strides: c.stride,
            pad: c.pad,
            dilations: c.dilation,
            bias: filled([c.outC], 3),
            activation: c.activation as tf.fused.Activation,
          });
          // tfjs's gradient of a convolution takes no dilations.
          const grads = plainDilation
            ? tf.grads((x: tf.Tensor, w: tf.Tensor) => conv(x as tf.Tensor4D, w as tf.Tensor4D).square().sum())([x, w])
            : [];
          return [conv(x, w), fused, ...grads];
        }, JSON.stringify({ xs, ws, ...c }));
      }),
      RUNS,
    );
  },
});

Deno.test({
  name: "native Conv3D and both gradients equal tfjs-cpu: strides, dilations, same/valid pads",
  ...opts,
  fn: async () => {
    const caseArb = fc.record({
      batch: dim(2),
      s: fc.tuple(pos(4), pos(4), pos(4)),
      inC: fc.constantFrom(1, 2, 17),
      outC: pos(3),
      k: fc.tuple(pos(2), pos(2), pos(2)),
      stride: fc.tuple(pos(2), pos(2), pos(2)),
      dilation: fc.constantFrom(1, 2),
      pad: fc.constantFrom<"same" | "valid">("same", "valid"),
    }).filter((c) => c.dilation === 1 || c.stride.every((s) => s === 1))
      .filter((c) => c.pad === "same" || c.s.every((d, i) => d >= (c.k[i] - 1) * c.dilation + 1));
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const xs = [c.batch, ...c.s, c.inC], ws = [...c.k, c.inC, c.outC];
        await agree(() => {
          const x = filled(xs, 1) as tf.Tensor5D, w = filled(ws, 2) as tf.Tensor5D;
          const conv = (x: tf.Tensor, w: tf.Tensor) =>
            tf.conv3d(x as tf.Tensor5D, w as tf.Tensor5D, c.stride, c.pad, "NDHWC", c.dilation);
          const grads = c.dilation === 1
            ? tf.grads((x: tf.Tensor, w: tf.Tensor) => conv(x, w).square().sum())([x, w])
            : [];
          return [conv(x, w), ...grads];
        }, JSON.stringify({ xs, ws, ...c }));
      }),
      { numRuns: 30 },
    );
  },
});

Deno.test({
  name: "native Transpose equals tfjs-cpu for every rank 1–6, permutation and dtype",
  ...opts,
  fn: async () => {
    const caseArb = fc.array(dim(4), { minLength: 1, maxLength: 6 }).chain((shape) =>
      fc.record({
        shape: fc.constant(shape),
        perm: fc.shuffledSubarray(shape.map((_, i) => i), { minLength: shape.length }),
        dtype: fc.constantFrom<"float32" | "int32" | "bool">("float32", "int32", "bool"),
      })
    );
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        await agree(
          () => [tf.transpose(filled(c.shape, 5).mul(9).cast(c.dtype).cast("float32"), c.perm)],
          JSON.stringify(c),
        );
        const run = async (b: "cpu" | "native") => {
          await initBackend(b);
          const t = tf.tidy(() => tf.transpose(filled(c.shape, 5).mul(9).cast(c.dtype), c.perm));
          const r = { dtype: t.dtype, v: Array.from(await t.data()) };
          t.dispose();
          return r;
        };
        assert.deepEqual(await run("native"), await run("cpu"));
      }),
      RUNS,
    );
  },
});

Deno.test({
  name: "the native backend registers every cpu kernel, and its own for the heavy ones",
  ...opts,
  fn: () => {
    const cpu = tf.getKernelsForBackend("cpu").map((k) => k.kernelName).sort();
    assert.deepEqual(tf.getKernelsForBackend("native").map((k) => k.kernelName).sort(), cpu);
    for (const name of NATIVE_KERNELS) {
      assert.notEqual(tf.getKernel(name, "native")!.kernelFunc, tf.getKernel(name, "cpu")!.kernelFunc, name);
    }
    assert.equal(tf.getKernel("Add", "native")!.kernelFunc, tf.getKernel("Add", "cpu")!.kernelFunc);
  },
});

Deno.test({
  name: "native Conv2D/3D and their gradients over several im2col chunks equal tfjs-cpu",
  ...opts,
  fn: async () => {
    const saved = IM2COL.maxFloats;
    IM2COL.maxFloats = 700; // 2-3 examples a chunk below
    try {
      await agree(() => {
        const x = filled([7, 6, 5, 4], 1) as tf.Tensor4D, w = filled([3, 2, 4, 3], 2) as tf.Tensor4D;
        const f = (x: tf.Tensor, w: tf.Tensor) =>
          tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, "same").square().sum();
        const x3 = filled([5, 3, 4, 3, 2], 3) as tf.Tensor5D, w3 = filled([2, 2, 2, 2, 3], 4) as tf.Tensor5D;
        const f3 = (x: tf.Tensor, w: tf.Tensor) =>
          tf.conv3d(x as tf.Tensor5D, w as tf.Tensor5D, 1, "same").square().sum();
        return [
          tf.conv2d(x, w, 1, "same"),
          ...tf.grads(f)([x, w]),
          tf.conv3d(x3, w3, 1, "same"),
          ...tf.grads(f3)([x3, w3]),
        ];
      }, "chunked convolutions");
    } finally {
      IM2COL.maxFloats = saved;
    }
  },
});
