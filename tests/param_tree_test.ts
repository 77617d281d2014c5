// Parameters as trees and extra arguments to f (issue 14): flattening names leaves by path;
// every method, the NTK-vp, the NNGP, the kernel function, linearize and the worker pool give on
// a tree (and with a mask tensor and a `training` flag) what they give on the flat record with
// the arguments closed over, and what the explicit Jacobian (tf.grads) gives; the caller's
// tensors are never disposed or changed; bad trees are named errors naming paths.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import {
  DTypeError,
  empiricalKernelFn,
  empiricalNngpFn,
  empiricalNtkFn,
  empiricalNtkParallelFn,
  empiricalNtkVpFn,
  flattenParams,
  fromLayersModel,
  InvalidOptionError,
  type LayerParamTree,
  linearize,
  loadModel,
  type NtkMethod,
  readNpy,
  ShapeMismatchError,
  unflattenParams,
} from "../mod.ts";
import { main } from "../src/cli.ts";
import { initBackend } from "../src/core/backend.ts";
import { randn } from "./_data.ts";
import { onCpu, referenceNtk, relError, tensorRelError } from "./_ref.ts";
import { byPath, flatF, IN, mask, PATHS, type Tree, treeF, treeParams } from "./_tree_model.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const TREE_MODULE = new URL("./_tree_model.ts", import.meta.url);

/** The explicit J1·J2ᵀ kernel of `f` on the flat record (tf.grads on cpu). */
async function oracle(f: ReturnType<typeof flatF>, traceAxes: number[]) {
  return await onCpu(() => {
    const [p, x1, x2] = [byPath(treeParams()), randn([4, IN], 11), randn([5, IN], 12)];
    const r = referenceNtk(f, p, x1, x2, traceAxes);
    tf.dispose([...Object.values(p), x1, x2]);
    return r;
  });
}

/** Every tensor's values, to compare after the calls. */
async function snapshot(ts: tf.Tensor[]): Promise<Float32Array[]> {
  return await Promise.all(ts.map(async (t) => (await t.data()) as Float32Array));
}

function leaves(p: Tree): tf.Tensor[] {
  return Object.values(byPath(p));
}

Deno.test("flattenParams() keys each leaf by its path; a flat record comes back as it is; unflattenParams() inverts it", () => {
  const p = treeParams();
  const flat = flattenParams(p);
  assert.deepEqual(Object.keys(flat), PATHS);
  assert.ok(Object.values(flat).every((t, i) => t === leaves(p)[i]), "the same tensors, not copies");
  const back = unflattenParams(flat, p);
  assert.equal(back.encoder.blocks[1].bias, p.encoder.blocks[1].bias);
  assert.ok(Array.isArray(back.head) && back.head[1] === p.head[1]);
  const record = { "dense_1/kernel": p.head[0], bias: p.head[1] };
  assert.equal(flattenParams(record), record, "a flat record (keys with / included) is used as it is");
  assert.deepEqual(Object.keys(flattenParams({ a: [] as tf.Tensor[], b: {} })), [], "empty branches: no leaves");
  assert.deepEqual(Object.keys(flattenParams(p.head[0])), [""], "a single tensor is the root leaf");
  tf.dispose(leaves(p));
});

Deno.test("flattenParams(): a path equal to a flat key is an InvalidOptionError naming both", () => {
  const [a, b] = [tf.zeros([2]), tf.ones([2])];
  assert.throws(
    () => flattenParams({ "dense_1/kernel": a, dense_1: { kernel: b } }),
    (e: Error) =>
      e instanceof InvalidOptionError && e.message.includes('params["dense_1/kernel"]') &&
      e.message.includes("params.dense_1.kernel") && e.message.includes('"dense_1/kernel"'),
  );
  assert.throws(
    () => flattenParams({ blocks: [a], "blocks/0": b }),
    (e: Error) => e instanceof InvalidOptionError && e.message.includes("params.blocks[0]"),
  );
  tf.dispose([a, b]);
});

Deno.test("a bad leaf is named by its path: not a tensor, disposed, not float32", async () => {
  const ntk = empiricalNtkFn(treeF);
  const x = randn([3, IN]);
  const p = treeParams();
  const bad = (leaf: unknown) => ({
    ...p,
    encoder: { blocks: [{ ...p.encoder.blocks[0], kernel: leaf }, p.encoder.blocks[1]] },
  });
  await assert.rejects(
    () => ntk(x, null, bad([[1, 2]]) as unknown as Tree),
    (e: Error) =>
      e instanceof ShapeMismatchError && e.message.startsWith('Invalid params["encoder/blocks/0/kernel/0/0"]') &&
      e.message.includes('(got "number")'),
  );
  await assert.rejects(
    () => ntk(x, null, bad("w") as unknown as Tree),
    (e: Error) => e instanceof ShapeMismatchError && e.message.includes('params["encoder/blocks/0/kernel"]'),
  );
  const ints = tf.zeros([IN, 6], "int32");
  await assert.rejects(
    () => ntk(x, null, bad(ints) as unknown as Tree),
    (e: Error) => e instanceof DTypeError && e.message.includes('params["encoder/blocks/0/kernel"]'),
  );
  const gone = tf.zeros([IN, 6]);
  gone.dispose();
  await assert.rejects(
    () => ntk(x, null, bad(gone) as unknown as Tree),
    (e: Error) => e instanceof ShapeMismatchError && e.message.includes('params["encoder/blocks/0/kernel"]'),
  );
  // A leaf f reads and the tree lacks is named by its path (f's own TypeError is the cause).
  const short = { ...p, head: [p.head[0]] } as unknown as Tree;
  await assert.rejects(
    () => ntk(x, null, short),
    (e: Error) =>
      e instanceof ShapeMismatchError && e.message.startsWith('Invalid params["head/1"]') &&
      e.message.includes('f reads the leaf at "head/1"'),
  );
  const { scale: _, ...noScale } = p;
  await assert.rejects(
    () => ntk(x, null, noScale as Tree),
    (e: Error) =>
      e instanceof ShapeMismatchError && e.message.startsWith('Invalid params["scale"]') &&
      e.cause instanceof TypeError,
  );
  tf.dispose([x, ints, ...leaves(p)]);
});

for (const method of ["jacobian", "ntkvp", "structured", "auto"] as NtkMethod[]) {
  Deno.test({
    name: `empiricalNtkFn(${method}) on a tree, with a mask and training, equals the flat record's and J1·J2ᵀ [cpu]`,
    ...opts,
    fn: async () => {
      await tf.setBackend("cpu");
      const [p, x1, x2, m] = [treeParams(), randn([4, IN], 11), randn([5, IN], 12), mask()];
      const mine = [...leaves(p), x1, x2, m];
      const before = await snapshot(mine);
      const ntk = empiricalNtkFn(treeF, { method, traceAxes: [] });
      for (const extra of [[], [m], [m, true]] as [tf.Tensor?, boolean?][]) {
        const { kernel, info } = await ntk.run(x1, x2, p, ...extra);
        // The flat computation by the same method (AUTO may choose differently per call).
        const flatK = await empiricalNtkFn(flatF(...extra), { method: info.method, traceAxes: [] })(x1, x2, byPath(p));
        const same = await tensorRelError(kernel, flatK);
        assert.ok(same <= 1e-6, `tree vs flat, extra ${extra.length}: ${same}`);
        const ref = await oracle(flatF(...extra), []);
        assert.deepEqual(kernel.shape, ref.shape);
        const err = relError(await kernel.data(), ref.data);
        assert.ok(err <= 1e-4, `vs J1·J2ᵀ, extra ${extra.length}: ${err}`);
        if (info.structure) {
          const named = [...info.structure.structured, ...info.structure.dense.map((d) => d.param)];
          assert.deepEqual(named.toSorted(), PATHS.toSorted(), "info names the leaves by path");
        }
        tf.dispose([kernel, flatK]);
      }
      // The extra arguments reach f: training changes the kernel (ReLU), the mask too.
      const [k0, k1, k2] = [await ntk(x1, x2, p), await ntk(x1, x2, p, m), await ntk(x1, x2, p, m, true)];
      assert.ok(relError(await k0.data(), await k1.data()) > 1e-2 && relError(await k1.data(), await k2.data()) > 1e-2);
      const plan = await ntk.plan(x1, x2, p, m, true);
      assert.deepEqual(plan.outputShape, [2]);
      assert.ok(mine.every((t) => !t.isDisposed), "no tensor of the caller's is disposed");
      const after = await snapshot(mine);
      assert.ok(after.every((v, i) => relError(v, before[i]) === 0), "no tensor of the caller's is changed");
      tf.dispose([k0, k1, k2, ...mine]);
    },
  });
}

for (const backend of ["wasm", "webgpu"] as const) {
  Deno.test({
    name: `empiricalNtkFn on a tree with a mask and training equals the flat record's [${backend}]`,
    ...opts,
    fn: async () => {
      await tf.setBackend(backend);
      const [p, x1, m] = [treeParams(), randn([4, IN], 11), mask()];
      const before = tf.memory().numTensors;
      const k = await empiricalNtkFn(treeF, { method: "structured" })(x1, null, p, m, true);
      const want = await empiricalNtkFn(flatF(m, true), { method: "structured" })(x1, null, byPath(p));
      const err = await tensorRelError(k, want);
      assert.ok(err <= 1e-6, `tree vs flat: ${err}`);
      tf.dispose([k, want]);
      assert.equal(tf.memory().numTensors, before, "no tensor left behind");
      tf.dispose([...leaves(p), x1, m]);
      await tf.setBackend("cpu");
    },
  });
}

Deno.test({
  name: "NTK-vp, NNGP, the kernel function and linearize on a tree with extra arguments equal the flat record's",
  ...opts,
  fn: async () => {
    await tf.setBackend("cpu");
    const [p, x1, x2, m, v] = [treeParams(), randn([4, IN], 11), randn([5, IN], 12), mask(), randn([5, 2], 13)];
    const mine = [...leaves(p), x1, x2, m, v];
    const before = await snapshot(mine);
    const flat = byPath(p), g = flatF(m, true);
    const check = async (name: string, got: tf.Tensor, want: tf.Tensor) => {
      const err = await tensorRelError(got, want);
      assert.ok(err <= 1e-6, `${name}: ${err}`);
      tf.dispose([got, want]);
    };
    await check(
      "ntk-vp",
      await empiricalNtkVpFn(treeF)(x1, x2, p, v, m, true),
      await empiricalNtkVpFn(g)(x1, x2, flat, v),
    );
    await check("nngp", await empiricalNngpFn(treeF)(x1, x2, p, m, true), await empiricalNngpFn(g)(x1, x2, flat));
    const kernelFn = empiricalKernelFn(treeF, { method: "jacobian" });
    const both = await kernelFn(x1, x2, p, ["ntk", "nngp"], m, true);
    const flatBoth = await empiricalKernelFn(g, { method: "jacobian" })(x1, x2, flat, ["ntk", "nngp"]);
    await check("kernel ntk", both.ntk, flatBoth.ntk);
    await check("kernel nngp", both.nngp, flatBoth.nngp);
    const nngpOnly = await kernelFn(x1, null, p, "nngp", m, true);
    await check("kernel nngp only", nngpOnly.nngp, await empiricalNngpFn(g)(x1, null, flat));
    kernelFn.dispose();

    // linearize: params0 comes back in the caller's shape; fLin takes a tree and extra arguments.
    const fLin = linearize(treeF, p);
    const fLinFlat = linearize(g, flat);
    assert.ok(fLin.params0.encoder.blocks[1].kernel instanceof tf.Tensor && fLin.params0.head.length === 2);
    assert.notEqual(fLin.params0.head[0], p.head[0], "its own copy");
    const shifted = leaves(p).map((t, i) => tf.tidy(() => tf.add(t, randn(t.shape, 40 + i, 0.01))));
    const moved = unflattenParams(Object.fromEntries(PATHS.map((path, i) => [path, shifted[i]])), p);
    await check("linearize", fLin(moved, x1, m, true), fLinFlat(byPath(moved), x1));
    // The NTK of fLin (a tree function with extra arguments in turn) is f's NTK at params0.
    await check(
      "ntk of fLin",
      await empiricalNtkFn(fLin, { method: "jacobian" })(x1, x2, moved, m, true),
      await empiricalNtkFn(g, { method: "jacobian" })(x1, x2, flat),
    );
    fLin.dispose();
    fLinFlat.dispose();
    assert.throws(
      () => linearize(treeF, { ...p, head: [p.head[0], "b"] } as unknown as Tree),
      (e: Error) => e instanceof ShapeMismatchError && e.message.startsWith('Invalid params0["head/1"]'),
    );
    tf.dispose(leaves(moved));
    assert.ok(mine.every((t) => !t.isDisposed));
    const after = await snapshot(mine);
    assert.ok(after.every((a, i) => relError(a, before[i]) === 0), "no tensor of the caller's is changed");
    tf.dispose(mine);
  },
});

for (const split of ["examples", "params"] as const) {
  Deno.test({
    name: `parallel NTK on 2 workers (split by ${split}): a tree and extra arguments cross to the workers`,
    ...opts,
    fn: async () => {
      await tf.setBackend("wasm");
      const [p, x1, x2, m] = [treeParams(), randn([6, IN], 11), randn([5, IN], 12), mask()];
      const before = await snapshot([...leaves(p), m]);
      const ntk = empiricalNtkParallelFn<Tree, [tf.Tensor, boolean]>({ module: TREE_MODULE, export: "treeF" }, {
        workers: 2,
        split,
        method: "jacobian",
        traceAxes: [],
      });
      try {
        const { kernel, info } = await ntk.run(x1, x2, p, m, true);
        assert.equal(info.workers, 2);
        assert.equal(info.split, split);
        const want = await empiricalNtkFn(flatF(m, true), { method: "jacobian", traceAxes: [] })(x1, x2, byPath(p));
        const err = await tensorRelError(kernel, want);
        assert.ok(err <= 1e-6, `workers vs flat: ${err}`);
        tf.dispose([kernel, want]);
      } finally {
        ntk.dispose();
      }
      const after = await snapshot([...leaves(p), m]);
      assert.ok(after.every((a, i) => relError(a, before[i]) === 0));
      tf.dispose([...leaves(p), x1, x2, m]);
      await tf.setBackend("cpu");
    },
  });
}

Deno.test({
  name: "fromLayersModel(): paramTree holds the weights per layer, f takes it, and the params selector takes paths",
  ...opts,
  fn: async () => {
    await tf.setBackend("cpu");
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ units: 5, inputShape: [IN], activation: "tanh", name: "hidden" }),
        tf.layers.dense({ units: 2, name: "out" }),
      ],
    });
    const { f, params, paramTree } = fromLayersModel(model);
    assert.deepEqual(Object.keys(paramTree), ["hidden", "out"]);
    const flat = flattenParams(paramTree);
    assert.deepEqual(Object.keys(flat).toSorted(), Object.keys(params).toSorted(), "each leaf's path is its flat name");
    assert.ok(Object.entries(flat).every(([k, t]) => params[k] === t), "the same tensors");
    const x = randn([4, IN], 21);
    const onTree = await empiricalNtkFn(f, { method: "structured", traceAxes: [] })(x, null, paramTree);
    const onFlat = await empiricalNtkFn(f, { method: "structured", traceAxes: [] })(x, null, params);
    const err = await tensorRelError(onTree, onFlat);
    assert.ok(err <= 1e-6, `tree vs flat: ${err}`);
    // A layer's path selects its weights; a weight's name selects it.
    const hidden = fromLayersModel(model, { params: ["hidden"] });
    assert.deepEqual(Object.keys(hidden.params).toSorted(), ["hidden/bias", "hidden/kernel"]);
    assert.deepEqual(Object.keys(hidden.paramTree), ["hidden"]);
    assert.deepEqual(Object.keys(fromLayersModel(model, { params: ["out/kernel"] }).params), ["out/kernel"]);
    assert.throws(
      () => fromLayersModel(model, { params: ["hid"] }),
      (e: Error) => e instanceof ShapeMismatchError && e.message.includes('"hid"'),
    );
    // A tree missing a layer's weight is named by its path.
    await assert.rejects(
      () => empiricalNtkFn(f)(x, null, { ...paramTree, out: { kernel: params["out/kernel"] } }),
      (e: Error) => e instanceof ShapeMismatchError && e.message.includes('params["out/bias"]'),
    );
    tf.dispose([onTree, onFlat, x]);
    model.dispose();
  },
});

Deno.test({
  name: "the CLI on a model writes the kernel the library gives on the model's parameter tree",
  ...opts,
  fn: async () => {
    await initBackend("cpu");
    const dir = new URL("./fixtures/functional_merge/", import.meta.url).pathname;
    const out = await Deno.makeTempFile({ suffix: ".npy" });
    const args = ["--model", `${dir}model.json`, "--x1", `${dir}x1.npy`, "--x2", `${dir}x2.npy`];
    assert.equal(await main([...args, "--method", "jacobian", "--full", "--out", out, "--backend", "cpu"]), 0);
    const [k, x1, x2] = [await readNpy(out), await readNpy(`${dir}x1.npy`), await readNpy(`${dir}x2.npy`)];
    const model = await loadModel(`${dir}model.json`);
    const { f, paramTree } = fromLayersModel(model);
    // The CLI flattens each example's outputs into one axis.
    const flatOut = (p: LayerParamTree, x: tf.Tensor | tf.Tensor[]) => {
      const y = f(p, x) as tf.Tensor;
      return tf.reshape(y, [y.shape[0], -1]);
    };
    const want = await empiricalNtkFn(flatOut, { method: "jacobian", traceAxes: [] })(x1, x2, paramTree);
    const err = await tensorRelError(k, want);
    assert.ok(err <= 1e-5, `CLI vs library on the tree: ${err}`);
    tf.dispose([k, want, x1, x2]);
    model.dispose();
    await Deno.remove(out);
  },
});
