// Campaign findings (deno task fuzz, seed 20261205, 10,000 programs): tfjs 4.22 kernels that
// were wrong or threw, each corrected in src/core/tfjs_fixes.ts, checked against tfjs-cpu (exact for
// these ops: 0 or 1e-6 relative), plus the campaign's shrunk programs end to end.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { initBackend } from "../../mod.ts";
import { buildProgram, type ProgramSpec } from "../fuzz/grammar.ts";
import { checkProgram, gradOracle } from "../fuzz/runner.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const fill = (shape: number[], seed: number) =>
  tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(seed + 1.3 * i)), shape);

/** `make()` on `backend` and on cpu: same shape, same values (NaN matching NaN), within `tol`. */
async function sameAsCpu(backend: string, make: () => tf.Tensor, tol = 1e-6): Promise<void> {
  await initBackend("cpu");
  const ref = make();
  const [refShape, refData] = [ref.shape, Array.from(await ref.data())];
  ref.dispose();
  await initBackend(backend as "cpu");
  try {
    tf.env().set("WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD", 0); // run the shaders on small tensors too
    const got = make();
    assert.deepEqual(got.shape, refShape);
    const data = Array.from(await got.data());
    got.dispose();
    data.forEach((v, i) => {
      const r = refData[i];
      if (Number.isNaN(r)) assert.ok(Number.isNaN(v), `[${i}] ${v}, not NaN`);
      else assert.ok(v === r || Math.abs(v - r) <= tol * Math.max(1, Math.abs(r)), `[${i}] ${v} vs ${r}`);
    });
  } finally {
    tf.env().set("WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD", 1000);
    await initBackend("cpu");
  }
}

const CASES: [string, string[], () => tf.Tensor][] = [
  [
    "binary op of rank 8, axes merge to ≤ 6",
    ["wasm", "webgpu"],
    () => tf.mul(fill([2, 1, 3, 1, 2, 1, 2, 3], 1), fill([2, 1, 3, 1, 2, 1, 2, 1], 2)),
  ],
  [
    "binary op of rank 8, alternating broadcast (7 merged axes)",
    ["wasm"],
    () => tf.add(fill([2, 1, 3, 1, 2, 1, 2, 3], 1), fill([1, 2, 3, 2, 1, 2, 1, 3], 2)),
  ],
  [
    "comparison of rank 7",
    ["wasm", "webgpu"],
    () => tf.cast(tf.greater(fill([2, 3, 1, 2, 1, 2, 2], 1), fill([1, 3, 1, 2, 1, 2, 1], 2)), "float32"),
  ],
  [
    "pad of rank 7",
    ["wasm"],
    () => tf.pad(fill([2, 1, 2, 1, 1, 1, 1], 3), [[0, 0], [0, 2], [1, 0], [0, 0], [0, 0], [0, 0], [0, 0]]),
  ],
  ["neg and tanh of rank 7", ["webgpu"], () => tf.tanh(tf.neg(fill([2, 1, 2, 1, 3, 1, 2], 4)))],
  ["gather from an empty tensor", ["wasm"], () => tf.gather(tf.zeros([0, 1, 3]), [1, 0], 2)],
  [
    "depthwise convolution of zero channels",
    ["wasm", "webgpu"],
    () => tf.depthwiseConv2d(tf.zeros([1, 1, 1, 0]) as tf.Tensor4D, tf.zeros([1, 1, 0, 2]) as tf.Tensor4D, 1, "same"),
  ],
  [
    "batched matMul over an empty inner axis is zeros",
    ["wasm", "webgpu"],
    () => tf.matMul(tf.zeros([3, 1, 0]), fill([1, 0, 2], 5).reshape([1, 0, 2])),
  ],
  [
    "conv2dTranspose of zero input channels is zeros",
    ["wasm", "webgpu"],
    () =>
      tf.conv2dTranspose(
        tf.zeros([2, 2, 3, 0]) as tf.Tensor4D,
        tf.zeros([1, 1, 3, 0]) as tf.Tensor4D,
        [2, 2, 3, 3],
        1,
        "valid",
      ),
  ],
  ["sum, mean, max and min over an empty axis", ["webgpu"], () => {
    const x = tf.zeros([3, 0]);
    return tf.stack([tf.sum(x, 1), tf.mean(x, 1), tf.max(x, 1), tf.min(x, 1), tf.prod(x, 1)]);
  }],
  ["softmax of an empty tensor", ["webgpu"], () => tf.softmax(tf.zeros([2, 0, 0]))],
  [
    "slice to nothing at rank 8, then split",
    ["webgpu"],
    () =>
      tf.concat(
        tf.split(
          tf.slice(fill([1, 3, 1, 1, 1, 1, 1, 1], 6), [0, 1, 0, 0, 0, 0, 0, 0], [-1, 0, -1, -1, -1, -1, -1, -1]),
          1,
          6,
        ),
        6,
      ),
  ],
  ["split of an empty tensor", ["webgpu"], () => tf.concat(tf.split(tf.zeros([0, 6]), [2, 4], 1), 1)],
];

for (const [name, backends, make] of CASES) {
  for (const backend of backends) {
    Deno.test({ name: `tfjs fix on ${backend}: ${name}`, ...opts, fn: () => sameAsCpu(backend, make) });
  }
}

Deno.test({
  name: "tfjs fix: reductions over no entries give numpy's answer on cpu, wasm and webgpu",
  ...opts,
  fn: async () => {
    for (const backend of ["cpu", "wasm", "webgpu"] as const) {
      await initBackend(backend);
      try {
        const x = tf.zeros([3, 0]), b = tf.zeros([2, 0], "bool");
        const r = [tf.sum(x, 1), tf.mean(x, 1), tf.max(x, 1), tf.min(x, 1), tf.prod(x, 1)];
        const got = await Promise.all(r.map(async (t) => Array.from(await t.data())));
        assert.deepEqual(got, [[0, 0, 0], [NaN, NaN, NaN], [-Infinity, -Infinity, -Infinity], [
          Infinity,
          Infinity,
          Infinity,
        ], [1, 1, 1]], backend);
        assert.deepEqual(Array.from(await tf.all(b, 1).data()), [1, 1], `${backend}: all of nothing`);
        assert.deepEqual(Array.from(await tf.any(b, 1).data()), [0, 0], `${backend}: any of nothing`);
        tf.dispose([x, b, ...r]);
      } finally {
        await initBackend("cpu");
      }
    }
  },
});

Deno.test({
  name: "tfjs fix on webgpu: a matMul with an empty batch leaves the caller's operand as it was",
  ...opts,
  fn: async () => {
    await initBackend("webgpu");
    try {
      const w = fill([1, 1, 2], 7);
      const before = Array.from(await w.data());
      for (let i = 0; i < 3; i++) tf.matMul(tf.zeros([0, 1, 1]), w).dispose();
      assert.deepEqual(Array.from(await w.data()), before);
      w.dispose();
    } finally {
      await initBackend("cpu");
    }
  },
});

// The campaign's shrunk counterexamples: wrong kernels before (wasm: ranks ≥ 7, empty gathers;
// webgpu: stale buffers of empty contractions) and raw errors; every method now matches tf.grads.
const SHRUNK: [string, ProgramSpec][] = [
  [
    "wasm",
    {
      n1: 1,
      n2: null,
      feat: [1],
      tokens: false,
      layers: [{ op: "attention", a: 0, b: 0, c: 0, w: "fresh" }, { op: "expandRank", a: 0, b: 0, c: 0, w: "fresh" }, {
        op: "unary",
        a: 6,
        b: 2,
        c: 0,
        w: "fresh",
      }],
      outRank: 0,
      axes: 0,
      seed: 5,
    } as ProgramSpec,
  ],
];

for (const [backend, spec] of SHRUNK) {
  Deno.test({
    name: `campaign program (seed ${spec.seed}) on ${backend}: every method = tf.grads`,
    ...opts,
    fn: async () => {
      await initBackend("cpu");
      const prog = buildProgram(spec);
      const r = await checkProgram(prog, backend as "wasm", { oracle: await gradOracle(prog) });
      assert.ok(r.checked >= 4, `${r.checked} kernels checked`);
      assert.deepEqual(r.failures.map((f) => `${f.cls} ${f.method}: ${f.message}`), []);
      await initBackend("cpu");
    },
  });
}
