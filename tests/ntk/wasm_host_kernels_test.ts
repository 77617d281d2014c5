// Host kernels for tfjs-wasm (src/core/tfjs_fixes.ts). Its Slice (and Unpack, SplitV and
// StridedSlice's unit-stride case, which call it) read the whole input through readSync — a copy —
// on every call, and its StridedSlice copies at 0.03 GB/s: slices are now copied in place. Its Sum
// over axes that are not innermost transposes first (≈0.4 GB/s): float32 rows are now added on the
// host. Checked against tfjs-cpu on random boxes, strides and axes of every rank up to 7 and every
// numeric dtype, and that no readSync happens.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import fc from "fast-check";
import { initBackend } from "../../mod.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
type DType = "float32" | "int32" | "bool";

interface Case {
  shape: number[];
  begin: number[];
  size: number[];
  axis: number;
  dtype: DType;
  step: number[];
}

const caseArb: fc.Arbitrary<Case> = fc
  .array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 7 })
  .chain((shape) =>
    fc.record({
      shape: fc.constant(shape),
      begin: fc.tuple(...shape.map((d) => fc.integer({ min: 0, max: d }))),
      axis: fc.integer({ min: 0, max: shape.length - 1 }),
      dtype: fc.constantFrom<DType>("float32", "int32", "bool"),
      cut: fc.tuple(...shape.map(() => fc.double({ min: 0, max: 1, noNaN: true }))),
      step: fc.tuple(...shape.map(() => fc.integer({ min: 1, max: 3 }))),
    }).map(({ shape, begin, axis, dtype, cut, step }) => ({
      step,
      shape,
      begin,
      axis,
      dtype,
      size: shape.map((d, i) => Math.round(cut[i] * (d - begin[i]))),
    }))
  );

function input(c: Case): tf.Tensor {
  const n = c.shape.reduce((a, b) => a * b, 1);
  const vals = Array.from({ length: n }, (_, i) => (c.dtype === "bool" ? i % 3 === 0 : (i * 7) % 23 - 11));
  return tf.tensor(vals as number[], c.shape, c.dtype);
}

/** Every slicing kernel's outputs for `c`, as [shape, values] pairs. */
async function slices(c: Case): Promise<[number[], number[]][]> {
  const x = input(c);
  const outs = [
    tf.slice(x, c.begin, c.size),
    tf.stridedSlice(x, c.begin, c.begin.map((b, i) => b + c.size[i])),
    tf.stridedSlice(x, c.begin, c.begin.map((b, i) => b + c.size[i]), c.step),
    // Every axis reversed from its end (negative strides), and axis 0 shrunk away.
    tf.stridedSlice(x, c.shape.map((d) => d - 1), c.shape.map(() => 0), c.shape.map(() => -1), 0, -1),
    tf.stridedSlice(x, c.begin, c.shape.map(() => 0), c.shape.map(() => -1)), // empty where begin is 0
    ...(c.shape[0] > 0 ? [tf.stridedSlice(x, [c.shape[0] - 1], [c.shape[0]], [1], 0, 0, 0, 0, 1)] : []),
    ...tf.unstack(x, c.axis),
    ...tf.split(x, [c.begin[c.axis], c.shape[c.axis] - c.begin[c.axis]], c.axis),
  ];
  const r = await Promise.all(outs.map(async (t) => [t.shape, Array.from(await t.data())] as [number[], number[]]));
  tf.dispose([x, ...outs]);
  return r;
}

Deno.test({
  name:
    "wasm Slice, StridedSlice (any strides, masks), Unpack and SplitV equal tfjs-cpu on random boxes, ranks 1–7, every dtype",
  ...opts,
  fn: async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        await initBackend("cpu");
        const want = await slices(c);
        await initBackend("wasm");
        assert.deepEqual(await slices(c), want);
      }),
      { numRuns: 150, seed: 20261205 },
    );
  },
});

Deno.test({
  name: "wasm slicing reads no tensor through readSync (it copied the whole input on every call)",
  ...opts,
  fn: async () => {
    await initBackend("wasm");
    const x = tf.randomNormal([8, 64, 32]);
    // deno-lint-ignore no-explicit-any
    const backend = tf.backend() as any;
    const readSync = backend.readSync;
    let reads = 0;
    backend.readSync = (...a: unknown[]) => (reads++, readSync.apply(backend, a));
    try {
      const outs = [
        ...tf.unstack(x),
        tf.slice(x, [1, 2, 3], [2, 5, 7]),
        ...tf.split(x, 4, 1),
        tf.stridedSlice(x, [2], [5]),
        tf.stridedSlice(x, [0, 1, 31], [8, 64, 0], [2, 3, -1]),
      ];
      tf.dispose(outs);
    } finally {
      backend.readSync = readSync;
    }
    assert.equal(reads, 0);
    x.dispose();
  },
});

Deno.test({
  name: "wasm Sum over axes that are not innermost (summed on the host) equals tfjs-cpu, ranks 1–7, keepDims or not",
  ...opts,
  fn: async () => {
    const sumArb = fc
      .array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 7 })
      .chain((shape) =>
        fc.record({
          shape: fc.constant(shape),
          axes: fc.subarray(shape.map((_, i) => i)),
          keepDims: fc.boolean(),
        })
      );
    const run = async (c: { shape: number[]; axes: number[]; keepDims: boolean }) => {
      const n = c.shape.reduce((a, b) => a * b, 1);
      const x = tf.tensor(Array.from({ length: n }, (_, i) => Math.sin(1.7 * i)), c.shape);
      const y = tf.sum(x, c.axes, c.keepDims);
      const r = [y.shape, Array.from(await y.data())] as const;
      tf.dispose([x, y]);
      return r;
    };
    await fc.assert(
      fc.asyncProperty(sumArb, async (c) => {
        await initBackend("cpu");
        const [shape, want] = await run(c);
        await initBackend("wasm");
        const [gotShape, got] = await run(c);
        assert.deepEqual(gotShape, shape);
        got.forEach((v, i) =>
          assert.ok(Math.abs(v - want[i]) <= 1e-5 * Math.max(1, Math.abs(want[i])), `${v} vs ${want[i]}`)
        );
      }),
      { numRuns: 200, seed: 20261205 },
    );
  },
});

Deno.test({
  name: "wasm Transpose (rows copied on the host) equals tfjs-cpu for random permutations, ranks 1–7, every dtype",
  ...opts,
  fn: async () => {
    const permArb = fc
      .array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 7 })
      .chain((shape) =>
        fc.record({
          shape: fc.constant(shape),
          perm: fc.shuffledSubarray(shape.map((_, i) => i), { minLength: shape.length, maxLength: shape.length }),
          dtype: fc.constantFrom<DType>("float32", "int32", "bool"),
        })
      );
    const run = async (c: { shape: number[]; perm: number[]; dtype: DType }) => {
      const x = input({ shape: c.shape, begin: [], size: [], axis: 0, dtype: c.dtype, step: [] });
      const y = tf.transpose(x, c.perm);
      const r = [y.shape, Array.from(await y.data())] as const;
      tf.dispose([x, y]);
      return r;
    };
    await fc.assert(
      fc.asyncProperty(permArb, async (c) => {
        await initBackend("cpu");
        const want = await run(c);
        await initBackend("wasm");
        assert.deepEqual(await run(c), want);
      }),
      { numRuns: 200, seed: 20261205 },
    );
  },
});
