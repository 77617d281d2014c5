/**
 * The flags of `deno task ntk gram` (a data set's kernel as resumable block files, one block per
 * scheduler array task if asked) and `deno task ntk regress` (kernel regression on those kernels),
 * checked before tfjs loads; src/cli_gram.ts and src/cli_regress.ts do the work.
 * @module
 */
import { CLI_BACKENDS, CLI_METHODS, flagError, type GramCommand, type RegressCommand } from "./cli_common.ts";
import {
  checkBackendName,
  checkBudgetFlag,
  checkInputFile,
  checkMethodFlag,
  checkOutputPath,
  flagLines,
  type FlagSpec,
  type FlagValues,
  parseFlags,
} from "./cli_flags.ts";

const GRAM_FLAGS: Record<string, FlagSpec> = {
  model: { value: "model.json", help: "a tfjs layers model (weights beside it); default: the bundled example CNN" },
  x: { value: "x.npy", help: "the data set, one example per row of the first axis (required)" },
  x2: { value: "x2.npy", help: "second inputs (default: x itself, and only blocks on and above the diagonal)" },
  blocks: { value: "n", help: "split x (and x2) into n row ranges: n × n blocks, n(n+1)/2 without --x2 (required)" },
  dir: { value: "out/", help: "where the block files and their .json records go (created if missing; required)" },
  only: { value: "i", help: "compute only block number i (0 ≤ i < the number of blocks), e.g. one array task" },
  "index-from-env": { help: "--only $SLURM_ARRAY_TASK_ID, else $JOB_COMPLETION_INDEX (a Kubernetes Indexed Job)" },
  method: { value: "name", help: `${CLI_METHODS.join(" | ")} (default: auto, by the cost model)` },
  full: { help: "full kernels [N1, N2, O, O] instead of the mean over outputs [N1, N2]" },
  backend: { value: "name", help: `${CLI_BACKENDS.join(" | ")} | auto (default: the fastest present)` },
  budget: { value: "MiB", help: "memory budget, a positive number (default 2048)" },
};

const REGRESS_FLAGS: Record<string, FlagSpec> = {
  "k-train-train": { value: "k.npy", help: "the train kernel [N, N] (or full [N, N, O, O]) (required)" },
  "y-train": { value: "y.npy", help: "train targets: [N, C] (e.g. one-hot) or [N] int32 class labels (required)" },
  "k-test-train": { value: "k.npy", help: "the test-train kernel [M, N] (or full [M, N, O, O]) (required)" },
  "y-test": { value: "y.npy", help: "test targets, as y-train: prints the accuracy (and the mean squared error)" },
  t: { value: "time", help: "training time in steps of the learning rate 1 (default inf: kernel ridge regression)" },
  "diag-reg": { value: "r", help: "ridge r · mean(diag K) added to the train kernel's diagonal, r ≥ 0 (default 0)" },
  out: { value: "pred.npy", help: "write the test predictions [M, C] as float32 .npy" },
};

export const GRAM_USAGE = `Usage: deno task ntk gram --x x.npy --blocks n --dir out/ [--model model.json] [--x2 x2.npy]
                           [--only i | --index-from-env] [--method …] [--full] [--backend …]

The kernel of a data set as independent block files (out/block-<i>-<j>.npy), each written
atomically with a record (out/block-<i>-<j>.json) of SHA-256 hashes of the model's weights, the
block's rows of the inputs and the options: a rerun computes only the blocks whose record does not
match. Without --x2 only the n(n+1)/2 blocks on and above the diagonal are computed. Join them with:
  deno task ntk merge --dir out/ --out k.npy

Flags:
${flagLines(GRAM_FLAGS)}`;

export const REGRESS_USAGE = `Usage: deno task ntk regress --k-train-train k.npy --y-train y.npy --k-test-train k2.npy
                              [--y-test y2.npy] [--t time] [--diag-reg r] [--out pred.npy]

Predictions on the test inputs of the linearized network trained by gradient descent on the MSE
(predictGradientDescentMse; t = inf is kernel ridge regression), and their accuracy (argmax).

Flags:
${flagLines(REGRESS_FLAGS)}`;

/** A whole number in [min, max), or a flag error naming `flag`. */
function wholeNumber(flag: string, text: string, min: number, max: number, what: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(Number.isSafeInteger(n) && n >= min && n < max)) {
    const range = max === Infinity ? `≥ ${min}` : `${min} ≤ i < ${max}`;
    throw flagError(
      flag,
      text,
      `a whole number ${range}`,
      `${flag} "${text}" is not ${what}: give a whole number ${range}.`,
    );
  }
  return n;
}

/** The block index: `--only i`, or the scheduler's variable with `--index-from-env`. */
function blockIndex(values: FlagValues, env: (name: string) => string | undefined): number | undefined {
  if (values.only !== undefined && values["index-from-env"]) {
    throw flagError(
      "--only",
      values.only,
      "one of --only, --index-from-env",
      "--only and --index-from-env both pick a block; give one.",
    );
  }
  if (values.only !== undefined) return wholeNumber("--only", values.only as string, 0, Infinity, "a block index");
  if (!values["index-from-env"]) return undefined;
  for (const name of ["SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"]) {
    const text = env(name);
    if (text !== undefined) return wholeNumber(name, text, 0, Infinity, "a block index");
  }
  throw flagError(
    "--index-from-env",
    true,
    "SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX set",
    "--index-from-env needs $SLURM_ARRAY_TASK_ID (sbatch --array) or $JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) set.",
  );
}

/** Checks the flags of `deno task ntk gram` (the block index against the grid comes once x is read). */
export async function checkGramFlags(
  values: FlagValues,
  positionals: string[],
  env: (name: string) => string | undefined = (n) => Deno.env.get(n),
): Promise<GramCommand> {
  if (positionals.length) {
    throw flagError(
      "arguments",
      positionals,
      "flags",
      `Unexpected argument "${positionals[0]}": gram takes flags only.`,
    );
  }
  for (const flag of ["x", "blocks", "dir"]) {
    if (values[flag] === undefined) {
      throw flagError(
        `--${flag}`,
        undefined,
        GRAM_FLAGS[flag].value!,
        `gram needs --${flag} <${GRAM_FLAGS[flag].value}>; run with --help.`,
      );
    }
  }
  const str = (k: string) => values[k] as string | undefined;
  const blocks = wholeNumber("--blocks", str("blocks")!, 1, Infinity, "a number of blocks");
  const method = checkMethodFlag(values);
  const backend = checkBackendName(values);
  const { budget: budgetBytes } = checkBudgetFlag(values);
  const model = str("model");
  if (model && !/^(https?|file):\/\//.test(model)) await checkInputFile("--model", model, "a tfjs layers model.json");
  for (const flag of ["x", "x2"]) if (str(flag)) await checkInputFile(`--${flag}`, str(flag)!, "a .npy file");
  const dir = str("dir")!.replace(/\/+$/, "") || "/";
  const stat = await Deno.stat(dir).catch(() => null);
  if (stat && !stat.isDirectory) {
    throw flagError("--dir", dir, "a directory", `--dir ${dir} is a file; give a directory.`);
  }
  if (!stat) await Deno.mkdir(dir, { recursive: true });
  await checkOutputPath("--dir", `${dir}/block.npy`);
  return {
    model,
    x: str("x")!,
    x2: str("x2"),
    blocks,
    dir,
    only: blockIndex(values, env),
    method,
    full: values.full === true,
    backend,
    budget: budgetBytes,
  };
}

/** Checks the flags of `deno task ntk regress`. */
export async function checkRegressFlags(values: FlagValues, positionals: string[]): Promise<RegressCommand> {
  if (positionals.length) {
    throw flagError(
      "arguments",
      positionals,
      "flags",
      `Unexpected argument "${positionals[0]}": regress takes flags only.`,
    );
  }
  const str = (k: string) => values[k] as string | undefined;
  for (const flag of ["k-train-train", "y-train", "k-test-train"]) {
    if (str(flag) === undefined) {
      throw flagError(
        `--${flag}`,
        undefined,
        "a .npy file",
        `regress needs --${flag} <${REGRESS_FLAGS[flag].value}>; run with --help.`,
      );
    }
    await checkInputFile(`--${flag}`, str(flag)!, "a .npy file");
  }
  if (str("y-test")) await checkInputFile("--y-test", str("y-test")!, "a .npy file");
  const tText = str("t") ?? "inf";
  const t = /^(inf|infinity|∞)$/i.test(tText) ? Infinity : tText.trim() === "" ? NaN : Number(tText);
  if (!(t >= 0)) {
    throw flagError(
      "--t",
      tText,
      "a time ≥ 0 or inf",
      `--t "${tText}" is not a training time: give a number ≥ 0, or inf.`,
    );
  }
  const regText = str("diag-reg") ?? "0";
  const diagReg = regText.trim() === "" ? NaN : Number(regText);
  if (!(Number.isFinite(diagReg) && diagReg >= 0)) {
    throw flagError(
      "--diag-reg",
      regText,
      "a number ≥ 0",
      `--diag-reg "${regText}" is not a ridge: give a finite number ≥ 0, e.g. --diag-reg 1e-3.`,
    );
  }
  if (str("out")) await checkOutputPath("--out", str("out")!, "pred.npy");
  return {
    kTrainTrain: str("k-train-train")!,
    yTrain: str("y-train")!,
    kTestTrain: str("k-test-train")!,
    yTest: str("y-test"),
    t,
    diagReg,
    out: str("out"),
  };
}

/** `deno task ntk gram …` and `deno task ntk regress …`: parse, check, then load tfjs and run. */
export async function jobsMain(command: "gram" | "regress", args: string[]): Promise<number> {
  const flags = command === "gram" ? GRAM_FLAGS : REGRESS_FLAGS;
  const { values, positionals, help } = parseFlags(args, flags, command);
  if (help) {
    console.log(command === "gram" ? GRAM_USAGE : REGRESS_USAGE);
    return 0;
  }
  if (command === "gram") {
    const checked = await checkGramFlags(values, positionals);
    const { computeGram } = await import("./cli_gram.ts");
    return await computeGram(checked);
  }
  const checked = await checkRegressFlags(values, positionals);
  const { regress } = await import("./cli_regress.ts");
  return await regress(checked);
}
