// `deno task ntk gram`, `merge --dir` and `regress`: the merged blocks equal the library's kernel
// (mean and full, with and without x2), a rerun computes only the blocks whose record differs, an
// array task's index comes from the scheduler's variable, bad input gets one sentence naming the
// flag, and regress's predictions equal kernel ridge regression / gradient flow by ml-matrix.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { EigenvalueDecomposition, Matrix } from "ml-matrix";
import { main } from "../../src/cli.ts";
import { checkGramFlags } from "../../src/cli_jobs.ts";
import { empiricalNtkFn, fromLayersModel, loadModel, readNpy, writeNpy } from "../../mod.ts";
import { initBackend } from "../../src/core/backend.ts";
import { relError } from "../_ref.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const root = new URL("../../", import.meta.url).pathname;
const MODEL = `${root}examples/cnn/model.json`;
const X = `${root}examples/cnn/x.npy`;

/** The library's kernel of the bundled CNN (outputs flattened per example, as the CLI). */
async function libraryNtk(x1: tf.Tensor, x2: tf.Tensor | null, full: boolean): Promise<tf.Tensor> {
  const model = await loadModel(MODEL);
  const { f, params } = fromLayersModel(model);
  const flat = (p: Record<string, tf.Tensor>, x: tf.Tensor | tf.Tensor[]) => {
    const y = f(p, x) as tf.Tensor;
    return tf.reshape(y, [y.shape[0], -1]);
  };
  const k = await empiricalNtkFn(flat, { method: "jacobian", traceAxes: full ? [] : [-1] })(x1, x2, params);
  model.dispose();
  return k;
}

/** Runs the CLI in this process, returning its exit code and stdout lines. */
async function cli(args: string[]): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => lines.push(a.join(" "));
  try {
    return { code: await main(args), lines };
  } finally {
    console.log = log;
  }
}

/** The error sentence of a CLI call that must fail. */
async function failure(args: string[]): Promise<string> {
  try {
    await cli(args);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error(`expected ${args.join(" ")} to fail`);
}

const gram = (dir: string, ...more: string[]) =>
  cli(["gram", "--model", MODEL, "--x", X, "--dir", dir, "--method", "jacobian", "--backend", "cpu", ...more]);
const computed = (lines: string[]) =>
  lines.filter((l) => l.endsWith(")") && l.includes(": computed in")).map((l) => Number(/^block (\d+)/.exec(l)![1]));

for (const full of [false, true]) {
  for (const withX2 of [false, true]) {
    Deno.test({
      name: `gram (${full ? "full" : "mean over outputs"}${withX2 ? ", with --x2" : ", x with itself"}): ` +
        "merged blocks equal the library's kernel",
      ...opts,
      fn: async () => {
        await initBackend("cpu");
        const dir = await Deno.makeTempDir({ prefix: "fast-ntk-gram-" });
        const x = await readNpy(X);
        const x2 = withX2 ? tf.reverse(tf.slice(x, 1, 7), 0) : null; // 6 examples, in another order
        if (x2) await writeNpy(`${dir}/x2.npy`, x2);
        const start = tf.memory().numTensors;
        const r = await gram(
          `${dir}/k`,
          "--blocks",
          "3",
          ...(full ? ["--full"] : []),
          ...(x2 ? ["--x2", `${dir}/x2.npy`] : []),
        );
        assert.equal(r.code, 0);
        assert.deepEqual(computed(r.lines), withX2 ? [0, 1, 2, 3, 4, 5, 6, 7, 8] : [0, 1, 2, 3, 4, 5]);
        assert.equal((await cli(["merge", "--dir", `${dir}/k`, "--out", `${dir}/k.npy`])).code, 0);
        assert.equal(tf.memory().numTensors, start, "no tensor left behind");
        const k = await readNpy(`${dir}/k.npy`);
        const want = await libraryNtk(x, x2, full);
        assert.deepEqual(k.shape, want.shape);
        // Float32 round-off of the same sums in other blocks; an untransposed [O, O] mirror is off by O(1).
        assert.ok(relError(await k.data(), await want.data()) <= 1e-5);
        tf.dispose([k, want, x, ...(x2 ? [x2] : [])]);
        await Deno.remove(dir, { recursive: true });
      },
    });
  }
}

Deno.test({
  name: "gram reruns compute only the blocks whose record differs (none, a damaged file, changed rows)",
  ...opts,
  fn: async () => {
    await initBackend("cpu");
    const dir = await Deno.makeTempDir({ prefix: "fast-ntk-gram-" });
    const x = await readNpy(X);
    await writeNpy(`${dir}/x.npy`, x);
    const run = () =>
      cli(["gram", "--model", MODEL, "--x", `${dir}/x.npy`, "--dir", `${dir}/k`, "--blocks", "3", "--backend", "cpu"]);
    assert.deepEqual(computed((await run()).lines), [0, 1, 2, 3, 4, 5]);
    const again = await run();
    assert.deepEqual(computed(again.lines), []);
    assert.equal(again.lines.filter((l) => l.endsWith("skipped, its record matches")).length, 6);
    // A damaged block file (its SHA-256 no longer the record's): that block only.
    await Deno.writeFile(`${dir}/k/block-1-1.npy`, new Uint8Array([1]), { append: true });
    assert.deepEqual(computed((await run()).lines), [3]);
    // The last example changed (rows 5–8 are the grid's third range): the blocks that read it.
    const changed = tf.concat([tf.slice(x, 0, 7), tf.mul(tf.slice(x, 7, 1), 2)]);
    await writeNpy(`${dir}/x.npy`, changed);
    assert.deepEqual(computed((await run()).lines), [2, 4, 5]);
    // Other options: every block.
    const full = await cli([
      "gram",
      "--model",
      MODEL,
      "--x",
      `${dir}/x.npy`,
      "--dir",
      `${dir}/k`,
      "--blocks",
      "3",
      "--full",
    ]);
    assert.deepEqual(computed(full.lines), [0, 1, 2, 3, 4, 5]);
    // One block by index, as an array task: only it, and merge names the first one missing.
    await Deno.remove(`${dir}/k`, { recursive: true });
    const one = await cli([
      "gram",
      "--model",
      MODEL,
      "--x",
      `${dir}/x.npy`,
      "--dir",
      `${dir}/k`,
      "--blocks",
      "3",
      "--only",
      "4",
    ]);
    assert.deepEqual(computed(one.lines), [4]);
    assert.match(
      await failure(["merge", "--dir", `${dir}/k`, "--out", `${dir}/k.npy`]),
      /^--dir .* lacks 5 of 6 blocks \(block 0: .*block-0-0\.npy\); run deno task ntk gram again/,
    );
    tf.dispose([x, changed]);
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test("gram's block index: --only, or $SLURM_ARRAY_TASK_ID / $JOB_COMPLETION_INDEX with --index-from-env", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fast-ntk-gram-" });
  const base = { x: X, blocks: "2", dir };
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  assert.equal((await checkGramFlags({ ...base, only: "2" }, [], env({}))).only, 2);
  assert.equal((await checkGramFlags({ ...base }, [], env({ SLURM_ARRAY_TASK_ID: "3" }))).only, undefined);
  const fromEnv = { ...base, "index-from-env": true as const };
  assert.equal(
    (await checkGramFlags(fromEnv, [], env({ SLURM_ARRAY_TASK_ID: "1", JOB_COMPLETION_INDEX: "2" }))).only,
    1,
  );
  assert.equal((await checkGramFlags(fromEnv, [], env({ JOB_COMPLETION_INDEX: "2" }))).only, 2);
  await assert.rejects(
    checkGramFlags(fromEnv, [], env({})),
    /^InvalidOptionError: --index-from-env needs \$SLURM_ARRAY_TASK_ID \(sbatch --array\) or \$JOB_COMPLETION_INDEX/,
  );
  await assert.rejects(
    checkGramFlags(fromEnv, [], env({ SLURM_ARRAY_TASK_ID: "x" })),
    /SLURM_ARRAY_TASK_ID "x" is not a block index/,
  );
  await assert.rejects(
    checkGramFlags({ ...fromEnv, only: "1" }, [], env({})),
    /--only and --index-from-env both pick a block/,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test({
  name: "gram and merge: bad input gets one sentence naming the flag",
  ...opts,
  fn: async () => {
    await initBackend("cpu");
    const dir = await Deno.makeTempDir({ prefix: "fast-ntk-gram-" });
    const cases: [string[], RegExp][] = [
      [["gram", "--x", X, "--dir", dir], /^gram needs --blocks <n>/],
      [
        ["gram", "--x", X, "--blocks", "0", "--dir", dir],
        /^--blocks "0" is not a number of blocks: give a whole number ≥ 1\./,
      ],
      [
        ["gram", "--x", X, "--blocks", "9", "--dir", dir],
        /^--blocks 9 is more than the 8 examples of --x; give at most 8\./,
      ],
      [
        ["gram", "--x", X, "--blocks", "3", "--dir", dir, "--only", "6"],
        /^block index 6 is out of range: --blocks 3 without --x2 makes 6 blocks, numbered 0 … 5 \(sbatch --array=0-5\)\./,
      ],
      [
        ["gram", "--x", `${dir}/none.npy`, "--blocks", "2", "--dir", dir],
        /^--x .*none\.npy cannot be read: no such file/,
      ],
      [["gram", "--x", X, "--blocks", "2", "--dir", X], /^--dir .*x\.npy is a file; give a directory\./],
      [
        ["merge", "--dir", dir, "--out", `${dir}/k.npy`],
        /^--dir .* holds no block records; run deno task ntk gram first\./,
      ],
      [["merge", "--dir", dir, "--out", `${dir}/k.npy`, "a.npy"], /^merge takes either --dir or slab files, not both/],
    ];
    for (const [args, want] of cases) assert.match(await failure(args), want, args.join(" "));
    // Two runs' blocks in one directory.
    await cli(["gram", "--x", X, "--dir", `${dir}/k`, "--blocks", "2", "--only", "0", "--backend", "cpu"]);
    await cli(["gram", "--x", X, "--dir", `${dir}/k`, "--blocks", "2", "--only", "1", "--backend", "cpu", "--full"]);
    assert.match(
      await failure(["merge", "--dir", `${dir}/k`, "--out", `${dir}/k.npy`]),
      /^--dir .* mixes blocks of different runs/,
    );
    await Deno.remove(dir, { recursive: true });
  },
});

/** Kernel ridge regression / gradient flow by ml-matrix: K_te K⁻¹ (I − exp(−t K / n)) y, K with the ridge. */
function oracle(kTrain: number[][], kTest: number[][], y: number[][], t: number, reg: number): number[][] {
  const m = kTrain.length;
  const ridge = (reg * kTrain.reduce((s, r, i) => s + r[i], 0)) / m;
  const k = new Matrix(kTrain).add(Matrix.eye(m).mul(ridge));
  const { realEigenvalues: lam, eigenvectorMatrix: v } = new EigenvalueDecomposition(k, { assumeSymmetric: true });
  const n = y.length * y[0].length;
  const g = Matrix.diag(lam.map((l) => (t === Infinity ? 1 / l : -Math.expm1((-t * l) / n) / l)));
  return new Matrix(kTest).mmul(v.mmul(g).mmul(v.transpose())).mmul(new Matrix(y)).to2DArray();
}

Deno.test({
  name: "regress: predictions equal ml-matrix's kernel ridge regression and gradient flow; accuracy by argmax",
  ...opts,
  fn: async () => {
    await initBackend("cpu");
    const dir = await Deno.makeTempDir({ prefix: "fast-ntk-regress-" });
    const feats = tf.randomNormal([30, 5], 0, 1, "float32", 7);
    const xTrain = tf.slice(feats, 0, 20), xTest = tf.slice(feats, 20, 10);
    const kTrain = tf.matMul(xTrain, xTrain, false, true), kTest = tf.matMul(xTest, xTrain, false, true);
    const labels = tf.argMax(tf.matMul(feats, tf.randomNormal([5, 3], 0, 1, "float32", 8)), 1).toInt();
    const yTrain = tf.slice(labels, 0, 20), yTest = tf.slice(labels, 20, 10);
    const onehot = tf.oneHot(yTrain as tf.Tensor1D, 3).toFloat();
    const files = { kTrain, kTest, yTrain, yTest, onehot };
    for (const [name, t] of Object.entries(files)) await writeNpy(`${dir}/${name}.npy`, t);
    const start = tf.memory().numTensors;
    for (const [t, y] of [["inf", "yTrain"], ["3.5", "onehot"]]) {
      const r = await cli([
        "regress",
        "--k-train-train",
        `${dir}/kTrain.npy`,
        "--k-test-train",
        `${dir}/kTest.npy`,
        "--y-train",
        `${dir}/${y}.npy`,
        "--y-test",
        `${dir}/yTest.npy`,
        "--t",
        t,
        "--diag-reg",
        "0.1",
        "--out",
        `${dir}/pred.npy`,
      ]);
      assert.equal(r.code, 0);
      const pred = await readNpy(`${dir}/pred.npy`);
      const want = oracle(
        await kTrain.array() as number[][],
        await kTest.array() as number[][],
        await onehot.array() as number[][],
        Number(t === "inf" ? Infinity : t),
        0.1,
      );
      // Float32 kernels and predictions against float64: well-conditioned with the ridge 0.1.
      assert.ok(relError(await pred.data(), want.flat()) <= 1e-4, `t = ${t}`);
      const truth = await yTest.data();
      const right = want.filter((row, i) => row.indexOf(Math.max(...row)) === truth[i]).length;
      assert.match(r.lines[0], new RegExp(`accuracy ${(right / 10).toFixed(4)} \\(${right}/10\\)`));
      pred.dispose();
    }
    assert.equal(tf.memory().numTensors, start, "no tensor left behind");
    assert.match(
      await failure([
        "regress",
        "--k-train-train",
        `${dir}/kTrain.npy`,
        "--k-test-train",
        `${dir}/kTest.npy`,
        "--y-train",
        `${dir}/kTest.npy`,
      ]),
      /^--k-train-train has shape \[20, 20\], but --y-train \[10, 20\] needs \[10, 10\] \(or the full \[10, 10, 20, 20\]\)\./,
    );
    assert.match(
      await failure([
        "regress",
        "--k-train-train",
        `${dir}/kTrain.npy`,
        "--k-test-train",
        `${dir}/kTest.npy`,
        "--y-train",
        `${dir}/yTrain.npy`,
        "--t",
        "-1",
      ]),
      /^--t "-1" is not a training time: give a number ≥ 0, or inf\./,
    );
    assert.match(
      await failure([
        "regress",
        "--k-train-train",
        `${dir}/kTrain.npy`,
        "--k-test-train",
        `${dir}/kTest.npy`,
        "--y-train",
        `${dir}/yTrain.npy`,
        "--diag-reg",
        "x",
      ]),
      /^--diag-reg "x" is not a ridge/,
    );
    tf.dispose([feats, xTrain, xTest, labels, ...Object.values(files)]);
    await Deno.remove(dir, { recursive: true });
  },
});
