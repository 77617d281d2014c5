// The `deno task ntk` CLI: fixtures end to end, its .npy equal to the library's kernel, the
// model round trip, slabs, workers (and the note when they are expected to be slower).
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { main } from "../../src/cli.ts";
import { empiricalNtkFn, fromLayersModel, loadModel, readNpy, saveModel } from "../../mod.ts";
import { initBackend } from "../../src/core/backend.ts";
import { relError } from "../_ref.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const root = new URL("../../", import.meta.url).pathname;
const FIXTURES = ["cnn_bn_pool", "embedding_lstm", "functional_merge"];

/** The kernel the library gives for a saved model (outputs flattened per example, as the CLI). */
async function libraryNtk(modelPath: string, x1: tf.Tensor, x2: tf.Tensor | null, full: boolean) {
  const model = await loadModel(modelPath);
  const { f, params } = fromLayersModel(model);
  const flat = (p: Record<string, tf.Tensor>, x: tf.Tensor | tf.Tensor[]) => {
    const y = f(p, x) as tf.Tensor;
    return tf.reshape(y, [y.shape[0], -1]);
  };
  return await empiricalNtkFn(flat, { method: "jacobian", traceAxes: full ? [] : [-1] })(x1, x2, params);
}

for (const name of FIXTURES) {
  for (const method of ["jacobian", "ntkvp"]) {
    Deno.test({
      name: `ntk CLI on fixture ${name} (${method}) writes the library's kernel`,
      ...opts,
      fn: async () => {
        await initBackend("cpu");
        const dir = `${root}tests/fixtures/${name}`;
        const out = await Deno.makeTempFile({ suffix: ".npy" });
        const code = await main([
          "--model",
          `${dir}/model.json`,
          "--x1",
          `${dir}/x1.npy`,
          "--x2",
          `${dir}/x2.npy`,
          "--method",
          method,
          "--full",
          "--out",
          out,
          "--backend",
          "cpu",
        ]);
        assert.equal(code, 0);
        const k = await readNpy(out);
        const [x1, x2] = [await readNpy(`${dir}/x1.npy`), await readNpy(`${dir}/x2.npy`)];
        const want = await libraryNtk(`${dir}/model.json`, x1, x2, true);
        assert.deepEqual(k.shape, want.shape);
        assert.equal(k.shape.length, 4);
        assert.ok(relError(await k.data(), await want.data()) <= 1e-5);
        tf.dispose([k, want, x1, x2]);
        await Deno.remove(out);
      },
    });
  }
}

Deno.test({
  name: "the NTK is the same after a save/load round trip",
  ...opts,
  fn: async () => {
    await initBackend("cpu");
    for (const name of FIXTURES) {
      const dir = `${root}tests/fixtures/${name}`;
      const tmp = await Deno.makeTempDir();
      await saveModel(await loadModel(`${dir}/model.json`), tmp);
      const x1 = await readNpy(`${dir}/x1.npy`);
      const [a, b] = [
        await libraryNtk(`${dir}/model.json`, x1, null, false),
        await libraryNtk(`${tmp}/model.json`, x1, null, false),
      ];
      assert.ok(relError(await b.data(), await a.data()) <= 1e-6, name);
      tf.dispose([a, b, x1]);
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

Deno.test({
  name: "loadModel() reads the Keras converter's layout (model_config wrapper)",
  ...opts,
  fn: async () => {
    await initBackend("cpu");
    const dir = `${root}tests/fixtures/functional_merge`;
    const tmp = await Deno.makeTempDir();
    const json = JSON.parse(await Deno.readTextFile(`${dir}/model.json`));
    const topology = json.modelTopology;
    json.modelTopology = {
      keras_version: "2.13.1",
      backend: "tensorflow",
      model_config: { class_name: topology.class_name, config: topology.config },
    };
    json.format = "layers-model";
    json.convertedBy = "TensorFlow.js Converter v4.22.0";
    await Deno.writeTextFile(`${tmp}/model.json`, JSON.stringify(json));
    await Deno.copyFile(`${dir}/weights.bin`, `${tmp}/weights.bin`);
    const x1 = await readNpy(`${dir}/x1.npy`);
    const [a, b] = [
      await libraryNtk(`${dir}/model.json`, x1, null, true),
      await libraryNtk(`${tmp}/model.json`, x1, null, true),
    ];
    assert.ok(relError(await b.data(), await a.data()) <= 1e-6);
    tf.dispose([a, b, x1]);
    await Deno.remove(tmp, { recursive: true });
  },
});

Deno.test({
  name: "the params option restricts the NTK to the chosen weights",
  ...opts,
  fn: async () => {
    await initBackend("cpu");
    const model = await loadModel(`${root}tests/fixtures/functional_merge/model.json`);
    const x1 = await readNpy(`${root}tests/fixtures/functional_merge/x1.npy`);
    const all = fromLayersModel(model);
    const last = all.weights.filter((w) => w.layer === all.weights[all.weights.length - 1].layer).map((w) => w.name);
    const sub = fromLayersModel(model, { params: last });
    assert.deepEqual(Object.keys(sub.params).sort(), [...last].sort());
    const k = await empiricalNtkFn(sub.f, { traceAxes: [] })(x1, null, sub.params);
    // The last Dense layer alone: K[i,j,a,b] = (h_i·h_j + 1)·δ_ab, with h its input.
    const hidden = tf.model({
      inputs: model.inputs,
      outputs: model.layers[model.layers.length - 2].output as tf.SymbolicTensor,
    });
    const h = hidden.predict(x1) as tf.Tensor;
    const gram = tf.add(tf.matMul(h, h, false, true), 1);
    const o = (k.shape as number[])[2];
    const want = tf.einsum("ij,ab->ijab", gram, tf.eye(o));
    assert.ok(relError(await k.data(), await want.data()) <= 1e-5);
    tf.dispose([k, h, gram, want, x1]);
  },
});

// ---- the bundled example (bad invocations: bad_input_test.ts) ----

async function runCli(args: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${root}src/cli.ts`, ...args],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: r.code, stdout: new TextDecoder().decode(r.stdout), stderr: new TextDecoder().decode(r.stderr) };
}

Deno.test({
  name: "ntk CLI with no arguments prints the bundled model's NTK summary",
  ...opts,
  fn: async () => {
    const r = await runCli(["--backend", "cpu"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /NTK \[8, 8\] of the bundled example CNN .* method \w+ · backend cpu · [\d.]+ ms/);
  },
});

Deno.test({
  name: "ntk CLI --workers 2 on three examples notes that the workers are expected to be slower, and computes",
  ...opts,
  fn: async () => {
    // A fresh process, as a user runs it: its own load time is the bound on a worker's start-up.
    const fx = `${root}tests/fixtures/functional_merge`;
    const r = await runCli(["--model", `${fx}/model.json`, "--x1", `${fx}/x1.npy`, "--method", "jacobian"]
      .concat(["--backend", "wasm", "--workers", "2"]));
    assert.equal(r.code, 0, r.stderr);
    const notes = r.stderr.split("\n").filter((l) => l.startsWith("note: "));
    assert.equal(notes.length, 1, r.stderr);
    assert.match(
      notes[0],
      /^note: --workers 2 is expected to be slower than one process: the kernel is estimated at [\d.]+ m?s in this process, and starting the workers takes at least [\d.]+ m?s/,
    );
    assert.match(r.stdout, /NTK \[3, 3\] of .* method jacobian · backend wasm · .* · 2 workers/);
  },
});

Deno.test({
  name: "ntk CLI --block i/n slabs merge into the full kernel",
  ...opts,
  fn: async () => {
    await initBackend("cpu");
    const dir = await Deno.makeTempDir();
    const fx = `${root}tests/fixtures/cnn_bn_pool`;
    const base = [
      "--model",
      `${fx}/model.json`,
      "--x1",
      `${fx}/x1.npy`,
      "--x2",
      `${fx}/x2.npy`,
      "--full",
      "--backend",
      "cpu",
    ];
    for (let i = 0; i < 2; i++) {
      assert.equal(await main([...base, "--block", `${i}/2`, "--out", `${dir}/s${i}.npy`]), 0);
    }
    assert.equal(await main(["merge", "--out", `${dir}/k.npy`, `${dir}/s0.npy`, `${dir}/s1.npy`]), 0);
    assert.equal(await main([...base, "--out", `${dir}/whole.npy`]), 0);
    const [k, whole] = [await readNpy(`${dir}/k.npy`), await readNpy(`${dir}/whole.npy`)];
    assert.deepEqual(k.shape, whole.shape);
    assert.ok(relError(await k.data(), await whole.data()) <= 1e-6);
    tf.dispose([k, whole]);
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "ntk CLI --workers 2 gives the one-process kernel (functional fixture)",
  ...opts,
  fn: async () => {
    await initBackend("wasm");
    const dir = `${root}tests/fixtures/functional_merge`;
    const [a, b] = [await Deno.makeTempFile({ suffix: ".npy" }), await Deno.makeTempFile({ suffix: ".npy" })];
    const common = ["--model", `${dir}/model.json`, "--x1", `${dir}/x1.npy`, "--full", "--method", "jacobian"];
    assert.equal(await main([...common, "--workers", "2", "--out", a, "--backend", "wasm"]), 0);
    assert.equal(await main([...common, "--out", b, "--backend", "wasm"]), 0);
    const [ka, kb] = [await readNpy(a), await readNpy(b)];
    assert.deepEqual(ka.shape, kb.shape);
    const err = relError(await ka.data(), await kb.data());
    assert.ok(err <= 1e-5, `workers vs one process: ${err}`);
    await assert.rejects(() => main([...common, "--workers", "0"]), /--workers/);
    await assert.rejects(() => main([...common, "--workers", "2", "--block", "0/2"]), /--workers/);
    tf.dispose([ka, kb]);
    await Promise.all([a, b].map((p) => Deno.remove(p)));
  },
});
