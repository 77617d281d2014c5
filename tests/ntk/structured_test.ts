// Structured derivatives: structure kept through scaled and reshaped weights, weight sharing,
// recurrences, layouts, visible dense fallbacks, and embeddings that never build dy/dW.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { empiricalNtkFn, fromLayersModel } from "../../mod.ts";
import { checkAgainstReference } from "./_check.ts";
import { batchStats, type Model, scaledWeight, sharedWeight } from "./_models.ts";
import { randn } from "../_data.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** (C ⊙ W) x with an entrywise constant C: the weight's structure becomes diagonal, not dense. */
function entrywiseScaled(): Model {
  return {
    name: "weight scaled entrywise before use",
    f: (p, x) =>
      tf.matMul(tf.tanh(tf.matMul(x as tf.Tensor, tf.mul(p.w1, randn([3, 5], 5)))), tf.mul(p.w2, randn([5, 1], 6))),
    params: () => ({ w1: randn([3, 5], 41), w2: randn([5, 2], 42) }),
    input: (n, seed) => randn([n, 3], seed),
  };
}

/** An LSTM over several steps (tfjs-layers), weights shared across steps. */
function lstm(steps: number): Model {
  const model = tf.sequential({
    layers: [
      tf.layers.lstm({ units: 4, inputShape: [steps, 3], returnSequences: true }),
      tf.layers.dense({ units: 2 }),
    ],
  });
  const { f, params } = fromLayersModel(model);
  const values = Object.fromEntries(Object.entries(params).map(([n, t], i) => [n, randn(t.shape, 300 + i, 0.5)]));
  return {
    name: `LSTM over ${steps} steps`,
    f: (p, x) => f(p, x) as tf.Tensor,
    params: () => Object.fromEntries(Object.entries(values).map(([n, t]) => [n, tf.clone(t)])),
    input: (n, seed) => randn([n, steps, 3], seed),
  };
}

for (
  const [model, structured] of [
    [scaledWeight(), ["w1", "w2"]],
    [entrywiseScaled(), ["w1", "w2"]],
    [sharedWeight(), ["w1", "w2"]],
  ] as [Model, string[]][]
) {
  Deno.test({
    name: `structured NTK of ${model.name} keeps every weight structured and matches J1·J2ᵀ`,
    ...opts,
    fn: async () => {
      await tf.setBackend("cpu");
      for (const traceAxes of [[-1], []]) {
        const info = await checkAgainstReference(model, { method: "structured", n1: 3, n2: 4, traceAxes });
        assert.deepEqual([...(info.structure?.structured ?? [])].sort(), structured);
        assert.deepEqual(info.structure?.dense, []);
      }
    },
  });
}

Deno.test({
  name: "structured NTK of an LSTM over several steps matches J1·J2ᵀ (layouts incl. diagonal)",
  ...opts,
  fn: async () => {
    await tf.setBackend("cpu");
    const m = lstm(5);
    for (const [traceAxes, diagonalAxes] of [[[-1], []], [[], []], [[-1], [1]], [[], [0]]] as [number[], number[]][]) {
      const info = await checkAgainstReference(m, {
        method: "structured",
        n1: 3,
        n2: diagonalAxes.includes(0) ? null : 2,
        traceAxes,
        diagonalAxes,
      });
      assert.deepEqual(info.structure?.dense, []);
    }
  },
});

Deno.test({
  name: "structured reports a dense fallback, with its reason, where rows mix",
  ...opts,
  fn: async () => {
    await tf.setBackend("cpu");
    const info = await checkAgainstReference(batchStats(), { method: "structured", n1: 4, n2: 3, traceAxes: [] });
    assert.deepEqual(info.structure?.structured, ["w2"]);
    assert.equal(info.structure?.dense.length, 1);
    assert.equal(info.structure?.dense[0].param, "w1");
    assert.match(info.structure!.dense[0].reason, /rows are mixed/);
  },
});

Deno.test({
  name: "structured NTK of Embedding(50000, 64), N=16, T=32, O=8 peaks under 64 MiB",
  ...opts,
  fn: async () => {
    await tf.setBackend("wasm");
    const model = tf.sequential({
      layers: [
        tf.layers.embedding({ inputDim: 50000, outputDim: 64, inputLength: 32 }),
        tf.layers.globalAveragePooling1d(),
        tf.layers.dense({ units: 8 }),
      ],
    });
    const { f, params } = fromLayersModel(model);
    const ids = (seed: number) =>
      tf.tensor(Int32Array.from({ length: 16 * 32 }, (_, i) => (i * 7919 + seed * 104729) % 50000), [16, 32], "int32");
    const [x1, x2] = [ids(1), ids(2)];
    const ntk = empiricalNtkFn(f, { method: "structured" });
    let kernel: tf.Tensor | null = null;
    const prof = await tf.profile(async () => {
      kernel = await ntk(x1, x2, params);
    });
    assert.deepEqual(kernel!.shape, [16, 16]);
    // The dense per-example Jacobian of the table alone would be 8·16·50000·64·4 B = 1.6 GB.
    assert.ok(prof.peakBytes <= 64 * 2 ** 20, `peak ${(prof.peakBytes / 2 ** 20).toFixed(1)} MiB`);
    // And it is right: against Jacobian contraction on a slice of the same kernel's rows.
    const ref = await empiricalNtkFn(f, { method: "jacobian" })(
      tf.slice(x1, [0, 0], [2, 32]),
      tf.slice(x2, [0, 0], [2, 32]),
      params,
    );
    const got = tf.slice(kernel!, [0, 0], [2, 2]);
    const err = (await tf.max(tf.abs(tf.sub(got, ref))).data())[0] / (await tf.max(tf.abs(ref)).data())[0];
    assert.ok(err <= 1e-4, `rel error ${err}`);
    tf.dispose([kernel!, ref, got, x1, x2]);
    model.dispose();
  },
});
