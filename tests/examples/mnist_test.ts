// `deno task mnist`, small (100 train / 50 test digits), in a fresh process: it runs the
// README's commands, its merged train kernel is the library's, its NTK predictions are kernel
// ridge regression by ml-matrix on its own kernels, and the accuracies it prints are the
// predictions' argmax against the labels.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { EigenvalueDecomposition, Matrix } from "ml-matrix";
import { empiricalNtkFn, fromLayersModel, initBackend, loadModel, readNpy } from "../../mod.ts";
import { fences, README, ROOT_PATH } from "../docs/_snippets.ts";
import { relError } from "../_ref.ts";

/** K_te (K + r·mean(diag K)·I)⁻¹ Y in float64. */
function ridge(kTrain: number[][], kTest: number[][], y: number[][], r: number): number[] {
  const m = kTrain.length;
  const k = new Matrix(kTrain).add(Matrix.eye(m).mul((r * kTrain.reduce((s, row, i) => s + row[i], 0)) / m));
  const { realEigenvalues: lam, eigenvectorMatrix: v } = new EigenvalueDecomposition(k, { assumeSymmetric: true });
  const inv = v.mmul(Matrix.diag(lam.map((l) => 1 / l))).mmul(v.transpose());
  return new Matrix(kTest).mmul(inv).mmul(new Matrix(y)).to1DArray();
}

Deno.test({
  name:
    "deno task mnist (100/50 digits): README's commands, the library's kernel, ml-matrix's ridge, printed accuracies",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "fast-ntk-mnist-test-" });
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["task", "mnist", "--train", "100", "--test", "50", "--dir", dir],
      cwd: ROOT_PATH,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    // The README's pipeline, as the example ran it.
    const ran = stdout.split("\n").filter((l) => l.startsWith("$ ")).map((l) => l.slice(2).replaceAll(dir, "$DIR"));
    const documented = fences(README, "text").flatMap((b) => b.split("\n")).filter((l) =>
      l.startsWith("deno task ntk")
    );
    assert.equal(documented.length, 5);
    for (const c of documented) assert.ok(ran.includes(c), `README command not run by deno task mnist: ${c}`);

    await initBackend("wasm"); // the Jacobian oracle is 100 × 10 × 101,770: seconds on wasm, minutes on cpu
    const read = async (name: string) => {
      const t = await readNpy(`${dir}/${name}.npy`);
      const a = await t.array();
      t.dispose();
      return a;
    };
    // The merged train kernel against the library's by Jacobian contraction, in this process: float32 sums over
    // P = 101,770 parameters in other orders (measured 6e-5 of the largest entry on wasm).
    const model = await loadModel(`${dir}/model/model.json`);
    const { f, params } = fromLayersModel(model);
    const xTrain = await readNpy(`${dir}/x_train.npy`);
    const want = await empiricalNtkFn(f, { method: "jacobian" })(xTrain, null, params);
    const kTrain = (await read("k_train_train")) as number[][];
    assert.ok(relError(kTrain.flat(), await want.data()) <= 3e-4);
    tf.dispose([want, xTrain]);
    model.dispose();
    // Predictions against ml-matrix's kernel ridge regression on the same kernels (float32 files vs float64).
    const labels = (await read("y_test")) as number[];
    const yTrain = ((await read("y_train")) as number[]).map((l) => Array.from({ length: 10 }, (_, c) => +(c === l)));
    const accuracy = (pred: number[]) =>
      labels.filter((l, i) => {
        const row = pred.slice(i * 10, i * 10 + 10);
        return row.indexOf(Math.max(...row)) === l;
      }).length / labels.length;
    const printed = /test accuracy: NTK ([\d.]+)% · linear kernel x·xᵀ ([\d.]+)%/.exec(stdout);
    assert.ok(printed, stdout);
    for (
      const [kind, kernels, at] of [["ntk", ["k_train_train", "k_test_train"], 1], ["linear", [
        "lin_train_train",
        "lin_test_train",
      ], 2]] as const
    ) {
      const pred = ((await read(`pred_${kind}`)) as number[][]).flat();
      const oracle = ridge(
        (await read(kernels[0])) as number[][],
        (await read(kernels[1])) as number[][],
        yTrain,
        1e-2,
      );
      assert.ok(relError(pred, oracle) <= 1e-3, kind);
      assert.equal(Number(printed[at]), Number((100 * accuracy(pred)).toFixed(1)), kind);
    }
    // A sanity floor, far below the measured 84 % (NTK) and 80 % (linear) on these 50 digits: not chance (10 %).
    assert.ok(Number(printed[1]) >= 50 && Number(printed[2]) >= 50, stdout);
    await Deno.remove(dir, { recursive: true });
  },
});
