/**
 * `deno task ntk regress`: test predictions by kernel regression (predictGradientDescentMse at a
 * training time t; t = ∞ is kernel ridge regression) from the kernels `gram` wrote, and their
 * accuracy: the argmax of each prediction against the test labels.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "./core/backend.ts";
import { predictGradientDescentMse } from "./toolkit/predict.ts";
import { flagError, type RegressCommand } from "./cli_common.ts";
import { readInput, writeAll } from "./cli_compute.ts";
import { toNpy } from "./core/npy.ts";

/**
 * Targets as [N, C] float32: a float [N, C] array as it is, an int32 [N] array of class labels
 * one-hot over `classes` columns. The message names the flag.
 */
async function targets(flag: string, y: tf.Tensor, classes: number | null): Promise<tf.Tensor> {
  if (y.rank === 2 && y.dtype === "float32") return y;
  if (y.rank === 1 && y.dtype === "int32") {
    const labels = Array.from(await y.data());
    const bad = labels.find((l) => l < 0 || (classes !== null && l >= classes));
    if (bad !== undefined) {
      y.dispose();
      throw flagError(
        flag,
        bad,
        "class labels 0 … C-1",
        `${flag} holds the label ${bad}, outside 0 … ${(classes ?? 1) - 1}; labels are whole numbers from 0.`,
      );
    }
    const c = classes ?? Math.max(...labels) + 1;
    const onehot = tf.tidy(() => tf.cast(tf.oneHot(y as tf.Tensor1D, c), "float32"));
    y.dispose();
    return onehot;
  }
  const shape = `[${y.shape}] ${y.dtype}`;
  y.dispose();
  throw flagError(
    flag,
    shape,
    "[N, C] float or [N] int32",
    `${flag} has shape ${shape}; give [N, C] floats (e.g. one-hot) or [N] int32 class labels.`,
  );
}

/** Fraction of rows whose argmax agrees. */
async function accuracy(pred: tf.Tensor, y: tf.Tensor): Promise<{ right: number; of: number }> {
  const [ta, tb] = [tf.argMax(pred, -1), tf.argMax(y, -1)];
  const [a, b] = [await ta.data(), await tb.data()];
  tf.dispose([ta, tb]);
  let right = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) right++;
  return { right, of: a.length };
}

/** `deno task ntk regress` with checked flags. */
export async function regress(o: RegressCommand): Promise<number> {
  await initBackend("cpu");
  const held: tf.Tensor[] = [];
  const read = async (flag: string, path: string) => {
    const t = await readInput(flag, path);
    held.push(t);
    return t;
  };
  try {
    const kTrain = await read("--k-train-train", o.kTrainTrain);
    const kTest = await read("--k-test-train", o.kTestTrain);
    const yTrain = await targets("--y-train", await readInput("--y-train", o.yTrain), null);
    held.push(yTrain);
    const yTest = o.yTest
      ? await targets("--y-test", await readInput("--y-test", o.yTest), yTrain.shape[1] as number)
      : null;
    if (yTest) held.push(yTest);
    checkKernelShapes(kTrain, kTest, yTrain);
    const full = kTrain.rank === 4;
    const ntkOptions = { diagReg: o.diagReg, traceAxes: full ? [] : [-1] };
    const predict = await predictGradientDescentMse(kTrain, yTrain, ntkOptions).catch((e) => {
      throw flagError("--k-train-train", o.kTrainTrain, "a train kernel", `--k-train-train: ${sentence(e)}`);
    });
    const { train, test } = await predict(o.t, 0, 0, kTest).catch((e) => {
      throw flagError("--k-test-train", o.kTestTrain, "a test-train kernel", `--k-test-train: ${sentence(e)}`);
    });
    held.push(train, test!);
    if (yTest && yTest.shape[0] !== test!.shape[0]) {
      throw flagError(
        "--y-test",
        o.yTest,
        `${test!.shape[0]} rows`,
        `--y-test has ${yTest.shape[0]} rows but --k-test-train has ${test!.shape[0]} test examples.`,
      );
    }
    if (o.out) await writeAll([{ path: o.out, bytes: await toNpy(test!) }]);
    const when = o.t === Infinity ? "t = ∞ (kernel ridge regression)" : `t = ${o.t}`;
    let line = `regress: ${test!.shape[0]} test predictions [${
      test!.shape.join(", ")
    }] at ${when}, diag-reg ${o.diagReg}`;
    if (yTest) {
      const { right, of } = await accuracy(test!, yTest);
      const mse = tf.tidy(() => tf.mean(tf.square(tf.sub(test!, yTest))).dataSync()[0]);
      line += ` · accuracy ${(right / of).toFixed(4)} (${right}/${of}) · mse ${mse.toPrecision(4)}`;
    }
    console.log(line + (o.out ? ` · wrote ${o.out}` : ""));
    return 0;
  } finally {
    tf.dispose(held);
  }
}

/** The kernels' shapes against the N train targets [N, C]: [N, N] and [M, N], or full [N, N, C, C] and [M, N, C, C]. */
function checkKernelShapes(kTrain: tf.Tensor, kTest: tf.Tensor, yTrain: tf.Tensor): void {
  const [n, c] = yTrain.shape;
  const full = kTrain.rank === 4;
  const tail = full ? [c, c] : [];
  const text = (s: readonly number[]) => `[${s.join(", ")}]`;
  const wantTrain = [n, n, ...tail];
  if (text(kTrain.shape) !== text(wantTrain)) {
    throw flagError(
      "--k-train-train",
      kTrain.shape,
      text(wantTrain),
      `--k-train-train has shape ${text(kTrain.shape)}, but --y-train ${text(yTrain.shape)} needs ${text(wantTrain)}` +
        ` (or the full [${n}, ${n}, ${c}, ${c}]).`,
    );
  }
  if (kTest.rank !== kTrain.rank || text(kTest.shape.slice(1)) !== text(wantTrain.slice(1))) {
    const want = `[M, ${wantTrain.slice(1).join(", ")}]`;
    throw flagError(
      "--k-test-train",
      kTest.shape,
      want,
      `--k-test-train has shape ${text(kTest.shape)}, but --k-train-train ${text(kTrain.shape)} needs ${want}.`,
    );
  }
}

/** A library error's first sentence. */
const sentence = (e: unknown) => {
  const msg = (e instanceof Error ? e.message : String(e)).split("\n")[0];
  return msg.endsWith(".") ? msg : `${msg}.`;
};
