// Batching: blocks equal the unbatched kernel in every layout, mirrored blocks for x2 = x1,
// slabs that concatenate, budgets and forced WebGPU buffer limits, progress, and named errors.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { empiricalNtkFn, MemoryBudgetError } from "../../mod.ts";
import { batchStats, convNet, mlp, type Model, timeDense } from "./_models.ts";
import { tensorRelError } from "../_ref.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

const LAYOUTS: { traceAxes: number[]; diagonalAxes: number[]; x2: boolean }[] = [
  { traceAxes: [-1], diagonalAxes: [], x2: true },
  { traceAxes: [], diagonalAxes: [], x2: true },
  { traceAxes: [], diagonalAxes: [], x2: false }, // symmetric: mirrored blocks
  { traceAxes: [-1], diagonalAxes: [0], x2: false },
  { traceAxes: [0, 2], diagonalAxes: [], x2: false }, // the example axis traced
  { traceAxes: [], diagonalAxes: [1], x2: true },
];

for (const method of ["jacobian", "ntkvp", "structured"] as const) {
  Deno.test({
    name: `${method}: blocks of examples give the unbatched kernel in every layout`,
    ...opts,
    fn: async () => {
      await tf.setBackend("wasm");
      const m: Model = timeDense();
      const p = m.params();
      const [x1, x2] = [m.input(7, 1), m.input(7, 2)];
      for (const l of LAYOUTS) {
        const whole = await empiricalNtkFn(m.f, { method, ...l }).run(x1, l.x2 ? x2 : null, p);
        const before = tf.memory().numTensors;
        const parts = await empiricalNtkFn(m.f, { method, ...l, blockSize: 3 }).run(x1, l.x2 ? x2 : null, p);
        assert.equal(tf.memory().numTensors - before, 1);
        assert.equal(parts.info.blocks.size, 3);
        assert.ok(parts.info.blocks.count > 1);
        const err = await tensorRelError(parts.kernel, whole.kernel);
        assert.ok(err <= 1e-5, `${JSON.stringify(l)}: ${err}`);
        tf.dispose([whole.kernel, parts.kernel]);
      }
      tf.dispose([x1, x2, ...Object.values(p)]);
    },
  });
}

Deno.test({
  name: "x2 = x1 computes only the blocks on and above the diagonal",
  ...opts,
  fn: async () => {
    await tf.setBackend("cpu");
    const m = mlp("relu");
    const p = m.params(), x = m.input(9, 1);
    const r = await empiricalNtkFn(m.f, { method: "jacobian", traceAxes: [], blockSize: 3 }).run(x, null, p);
    assert.equal(r.info.blocks.count, 6); // 3×3 blocks, upper triangle
    const k = r.kernel, kt = tf.transpose(k, [1, 0, 3, 2]);
    assert.ok((await tensorRelError(k, kt)) <= 1e-6);
    tf.dispose([k, kt, x, ...Object.values(p)]);
  },
});

Deno.test({
  name: "a memory budget tiles the kernel; progress reaches 1",
  ...opts,
  fn: async () => {
    await tf.setBackend("wasm");
    const m = mlp("tanh", { width: 64 });
    const p = m.params(), [x1, x2] = [m.input(12, 1), m.input(10, 2)];
    const whole = await empiricalNtkFn(m.f, { method: "jacobian", traceAxes: [] })(x1, x2, p);
    const seen: number[] = [];
    const r = await empiricalNtkFn(m.f, {
      method: "jacobian",
      traceAxes: [],
      memoryBudget: 200_000,
      onProgress: (f) => seen.push(f),
    })
      .run(x1, x2, p);
    assert.ok(r.info.blocks.count > 1, `blocks ${JSON.stringify(r.info.blocks)}`);
    assert.ok((await tensorRelError(r.kernel, whole)) <= 1e-5);
    assert.ok(seen.length > 1 && seen.every((v, i) => i === 0 || v >= seen[i - 1]));
    assert.ok(Math.abs(seen[seen.length - 1] - 1) < 1e-9);
    tf.dispose([whole, r.kernel, x1, x2, ...Object.values(p)]);
  },
});

Deno.test({
  name: "a budget too small for one example is a MemoryBudgetError saying what would fit",
  ...opts,
  fn: async () => {
    await tf.setBackend("cpu");
    const m = mlp("relu", { width: 64 });
    const p = m.params(), x = m.input(4, 1);
    const before = tf.memory().numTensors;
    await assert.rejects(
      () => empiricalNtkFn(m.f, { method: "jacobian", traceAxes: [], memoryBudget: 1000 })(x, null, p),
      (e: Error) =>
        e instanceof MemoryBudgetError &&
        /one example with method "jacobian" needs about [\d.]+ (B|KiB|MiB|GiB) /.test(e.message),
    );
    assert.equal(tf.memory().numTensors, before);
    tf.dispose([x, ...Object.values(p)]);
  },
});

Deno.test({
  name: "rows that interact are never split into blocks",
  ...opts,
  fn: async () => {
    await tf.setBackend("cpu");
    const m = batchStats();
    const p = m.params(), [x1, x2] = [m.input(6, 1), m.input(5, 2)];
    const whole = await empiricalNtkFn(m.f, { method: "jacobian" })(x1, x2, p);
    const r = await empiricalNtkFn(m.f, { method: "jacobian", blockSize: 2 }).run(x1, x2, p);
    assert.equal(r.info.blocks.count, 1);
    assert.ok((await tensorRelError(r.kernel, whole)) <= 1e-6);
    tf.dispose([whole, r.kernel, x1, x2, ...Object.values(p)]);
  },
});

Deno.test({
  name: "slabs [i, n] of x1 concatenate into the full kernel",
  ...opts,
  fn: async () => {
    await tf.setBackend("wasm");
    const m = convNet();
    const p = m.params(), [x1, x2] = [m.input(7, 1), m.input(3, 2)];
    for (const x2s of [x2, null]) {
      const whole = await empiricalNtkFn(m.f, { method: "structured", traceAxes: [] })(x1, x2s, p);
      const slabs = [];
      for (let i = 0; i < 3; i++) {
        slabs.push(await empiricalNtkFn(m.f, { method: "structured", traceAxes: [], block: [i, 3] })(x1, x2s, p));
      }
      const joined = tf.concat(slabs, 0);
      assert.ok((await tensorRelError(joined, whole)) <= 1e-5);
      tf.dispose([whole, joined, ...slabs]);
    }
    tf.dispose([x1, x2, ...Object.values(p)]);
  },
});

Deno.test({
  name: "WebGPU: a small forced buffer limit chunks the work, and the kernel stays right",
  ...opts,
  fn: async () => {
    await tf.setBackend("cpu");
    const m = mlp("relu", { inputDim: 40, width: 64, out: 4 });
    const p = m.params(), [x1, x2] = [m.input(24, 1), m.input(20, 2)];
    const want = await empiricalNtkFn(m.f, { method: "jacobian", traceAxes: [] })(x1, x2, p);
    await tf.setBackend("webgpu");
    for (const method of ["jacobian", "structured"] as const) {
      const r = await empiricalNtkFn(m.f, { method, traceAxes: [], maxTensorBytes: 64 * 1024 }).run(x1, x2, p);
      assert.ok(r.info.blocks.count > 1, JSON.stringify(r.info.blocks));
      assert.ok((await tensorRelError(r.kernel, want)) <= 1e-3, method);
      r.kernel.dispose();
    }
    tf.dispose([want, x1, x2, ...Object.values(p)]);
  },
});

Deno.test({
  name:
    "ntkvp counts intermediate tangents when it chunks its basis: a CNN's activations, not its parameters, set the chunk",
  ...opts,
  fn: async () => {
    await tf.setBackend("wasm");
    // 16×16×8 activations (2,048 floats a row, 8,192 for 4 rows) outweigh the 2,264 parameters.
    const m = convNet({ size: 16, channels: 8, out: 3 });
    const p = m.params(), x1 = m.input(4, 1);
    const run = async (extra: { maxTensorBytes?: number; memoryBudget?: number }) => {
      const steps: number[] = [];
      const r = await empiricalNtkFn(m.f, {
        method: "ntkvp",
        traceAxes: [],
        blockSize: 4,
        ...extra,
        onProgress: (f) => steps.push(f),
      })
        .run(x1, null, p);
      return { kernel: r.kernel, chunks: new Set(steps).size };
    };
    const whole = await run({});
    assert.equal(whole.chunks, 1); // the 12 basis vectors at once
    // One vector's intermediate tangent is 32 KiB: a 64 KiB limit holds 2 vectors, and a 128 KiB
    // budget holds 3 (parameters, result row and intermediates: 10,468 floats each).
    const byTensor = await run({ maxTensorBytes: 64 * 1024 });
    assert.equal(byTensor.chunks, 6);
    const byBudget = await run({ memoryBudget: 128 * 1024 });
    assert.equal(byBudget.chunks, 4);
    const jac = await empiricalNtkFn(m.f, { method: "jacobian", traceAxes: [] })(x1, null, p);
    for (const r of [whole, byTensor, byBudget]) assert.ok((await tensorRelError(r.kernel, jac)) <= 1e-5);
    tf.dispose([whole.kernel, byTensor.kernel, byBudget.kernel, jac, x1, ...Object.values(p)]);
  },
});
