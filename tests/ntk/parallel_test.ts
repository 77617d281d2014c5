// empiricalNtkParallelFn: blocks spread over Deno Workers give the explicit J1·J2ᵀ kernel
// (tf.grads on cpu), in every layout, from a module function and from a model.json.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { empiricalNtkFn, empiricalNtkParallelFn, initBackend, loadModel } from "../../mod.ts";
import { fromLayersModel } from "../../adapters/layers.ts";
import { shareParams } from "../../src/parallel/mod.ts";
import { onCpu, referenceNtk, relError } from "../_ref.ts";
import { batchStats, mlp, type Model } from "./_models.ts";

const FNS = new URL("./_fns.ts", import.meta.url);
const TOL = 1e-4;

async function reference(model: Model, n1: number, n2: number | null, trace: number[], diag: number[]) {
  return await onCpu(() => {
    const [p, a, b] = [model.params(), model.input(n1, 1), n2 === null ? null : model.input(n2, 2)];
    const r = referenceNtk(model.f, p, a, b, trace, diag);
    tf.dispose([...Object.values(p), a, ...(b ? [b] : [])]);
    return r;
  });
}

const LAYOUTS: { name: string; n2: number | null; traceAxes: number[]; diagonalAxes: number[] }[] = [
  { name: "x2 = x1, mean over outputs", n2: null, traceAxes: [-1], diagonalAxes: [] },
  { name: "independent x2, full", n2: 5, traceAxes: [], diagonalAxes: [] },
  { name: "x2 = x1, full", n2: null, traceAxes: [], diagonalAxes: [] },
  { name: "diagonal examples", n2: 7, traceAxes: [], diagonalAxes: [0] },
  { name: "traced examples", n2: 7, traceAxes: [0, 1], diagonalAxes: [] },
];

for (const [l, split] of LAYOUTS.flatMap((l) => (["examples", "params"] as const).map((s) => [l, s] as const))) {
  Deno.test(`parallel NTK on 2 workers, split by ${split}, matches the explicit Jacobian (${l.name})`, async () => {
    await initBackend("wasm");
    const model = mlp("tanh");
    const ntk = empiricalNtkParallelFn({ module: FNS, export: "tanhMlp" }, {
      workers: 2,
      split,
      traceAxes: l.traceAxes,
      diagonalAxes: l.diagonalAxes,
      method: split === "params" ? "structured" : "jacobian",
    });
    const [p, x1, x2] = [model.params(), model.input(7, 1), l.n2 === null ? null : model.input(l.n2, 2)];
    const before = tf.memory().numTensors;
    try {
      const { kernel, info } = await ntk.run(x1, x2, p);
      assert.equal(tf.memory().numTensors - before, 1, "only the returned kernel stays alive");
      assert.equal(info.workers, 2);
      assert.equal(info.split, split);
      assert.ok(info.blocks.count >= 2, `${info.blocks.count} blocks`);
      const ref = await reference(model, 7, l.n2, l.traceAxes, l.diagonalAxes);
      assert.deepEqual(kernel.shape, ref.shape);
      const err = relError(await kernel.data(), ref.data);
      assert.ok(err <= TOL, `rel error ${err} > ${TOL}`);
      kernel.dispose();
    } finally {
      ntk.dispose();
      tf.dispose([...Object.values(p), x1, ...(x2 ? [x2] : [])]);
    }
  });
}

Deno.test("parallel NTK of a model.json uses the model's weights and equals the in-process NTK", async () => {
  await initBackend("wasm");
  const path = new URL("../../examples/cnn/model.json", import.meta.url).pathname;
  const ntk = empiricalNtkParallelFn({ model: path }, { workers: 2, method: "ntkvp" });
  const model = await loadModel(path);
  const { f, params } = fromLayersModel(model);
  const x = tf.randomUniform([6, ...(model.inputs[0].shape.slice(1) as number[])], -1, 1, "float32", 3);
  try {
    const par = await ntk(x, null);
    const single = await empiricalNtkFn(f, { method: "ntkvp" })(x, null, params);
    const err = relError(await par.data(), await single.data());
    assert.ok(err <= 1e-5, `rel error ${err} > 1e-5`);
    tf.dispose([par, single]);
  } finally {
    ntk.dispose();
    model.dispose();
    x.dispose();
  }
});

Deno.test("parallel NTK keeps rows together when they interact (batch statistics), or splits parameters", async () => {
  await initBackend("wasm");
  const model = batchStats();
  const [p, x1] = [model.params(), model.input(6, 1)];
  const ref = await reference(model, 6, null, [-1], []);
  for (const [split, workers] of [["examples", 1], ["auto", 2]] as const) {
    const ntk = empiricalNtkParallelFn({ module: FNS, export: "batchStatsFn" }, { workers: 2, split, method: "ntkvp" });
    try {
      const { kernel, info } = await ntk.run(x1, null, p);
      assert.equal(info.workers, workers, `split ${split}: ${info.split}`);
      const err = relError(await kernel.data(), ref.data);
      assert.ok(err <= TOL, `rel error ${err} > ${TOL}`);
      kernel.dispose();
    } finally {
      ntk.dispose();
    }
  }
  tf.dispose([...Object.values(p), x1]);
});

Deno.test("shareParams() deals parameters by size and refuses uneven shares unless forced", () => {
  const t = (n: number) => tf.zeros([n]);
  const even = { a: t(10), b: t(9), c: t(6), d: t(5) };
  assert.deepEqual(shareParams(even, 2, false), [["a", "d"], ["b", "c"]]);
  const uneven = { big: t(100), small: t(1) };
  assert.equal(shareParams(uneven, 2, false), null);
  assert.deepEqual(shareParams(uneven, 2, true), [["big"], ["small"]]);
  assert.equal(shareParams({ only: t(3) }, 2, true), null);
  tf.dispose([...Object.values(even), ...Object.values(uneven)]);
});

Deno.test("parallel NTK reports a worker's error by name and recovers", async () => {
  await initBackend("wasm");
  const model = mlp("tanh");
  const bad = empiricalNtkParallelFn({ module: FNS, export: "notAFunction" }, { workers: 2 });
  await assert.rejects(() => bad(model.input(4, 1), null, model.params()), /notAFunction/);
  bad.dispose();
  const ntk = empiricalNtkParallelFn({ module: FNS, export: "tanhMlp" }, { workers: 2, method: "jacobian" });
  const p = model.params();
  const wrong = { ...p, w1: tf.zeros([4, 8]) }; // input has 3 features
  const x = model.input(4, 1);
  try {
    await assert.rejects(() => ntk(x, null, wrong), /w1|shape|3/i);
    const failing = empiricalNtkParallelFn({ module: FNS, export: "failsInWorkers" }, {
      workers: 2,
      method: "jacobian",
    });
    await assert.rejects(
      () => failing(x, null, p),
      // (f's own error on the user's x1 comes back as a ShapeMismatchError naming x1, f's message kept.)
      (e: Error) => e.name === "ShapeMismatchError" && /x1.*inside a worker/.test(e.message),
    );
    failing.dispose();
    const k = await ntk(x, null, p);
    assert.deepEqual(k.shape, [4, 4]);
    k.dispose();
    assert.throws(() => empiricalNtkParallelFn({ module: FNS }, { workers: 0 }), /workers/);
  } finally {
    ntk.dispose();
    tf.dispose([...Object.values(p), wrong.w1, x]);
  }
});
