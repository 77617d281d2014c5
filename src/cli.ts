/**
 * `deno task ntk`: the NTK of a tfjs-layers model on `.npy` inputs.
 *
 *   deno task ntk [--model model.json] [--x1 a.npy] [--x2 b.npy] [--method auto|jacobian|ntkvp|…]
 *                 [--full] [--out k.npy] [--backend webgpu|native|wasm|cpu] [--plot k.svg] [--spectrum]
 *   deno task ntk merge --out k.npy slab0.npy slab1.npy …
 *
 * With no --model it runs the bundled example (examples/cnn) on its seeded inputs. Flags, files
 * and output paths are checked here before tfjs is even loaded (src/cli_compute.ts does the
 * work), so a mistake costs milliseconds, not a computed kernel; every error is one sentence
 * naming the flag and what it accepts.
 * @module
 */
import { CLI_BACKENDS, CLI_METHODS, flagError, type MergeCommand, type NtkCommand } from "./cli_common.ts";
import {
  checkBackendName,
  checkBudgetFlag,
  checkInputFile,
  checkMethodFlag,
  checkOutputPath,
  flagLines,
  type FlagSpec,
  type FlagValues,
  parent,
  parseFlags,
} from "./cli_flags.ts";

export { checkInputFile, checkOutputPath };

// The library's lists, repeated so that this module loads without tfjs (a test keeps them equal).

const NTK_FLAGS: Record<string, FlagSpec> = {
  model: { value: "model.json", help: "a tfjs layers model (weights beside it); default: the bundled example CNN" },
  x1: { value: "a.npy", help: "inputs, one example per row of the first axis (float32/float64, or int32 ids)" },
  x2: { value: "b.npy", help: "second inputs (default: x2 = x1); needs --x1" },
  method: { value: "name", help: `${CLI_METHODS.join(" | ")} (default: auto, by the cost model)` },
  full: { help: "the full kernel [N1, N2, O, O] instead of the mean over outputs [N1, N2]" },
  out: { value: "k.npy", help: "write the kernel as float32 .npy (its directory must exist)" },
  backend: { value: "name", help: `${CLI_BACKENDS.join(" | ")} | auto (default: the fastest present)` },
  plot: { value: "k.svg", help: "write an SVG heatmap of the kernel (its directory must exist)" },
  spectrum: {
    help: "print the top 10 eigenvalues, condition number and effective rank of the kernel\n" +
      "of x1 with itself (full: as N·O × N·O); with --plot, add a panel; not with --x2/--block",
  },
  block: {
    value: "i/n",
    help: "compute only slab i of n (0 ≤ i < n ≤ N1) of x1's examples, to split a large\n" +
      "kernel over machines; join the slabs with: deno task ntk merge",
  },
  budget: { value: "MiB", help: "memory budget, a positive number (default 2048): larger kernels go in blocks" },
  workers: {
    value: "n",
    help: "compute blocks of the kernel on n ≥ 1 Deno Workers (tfjs-wasm uses one core per\n" +
      "process; default 1: in this process); a note says when they are expected to be slower",
  },
};

const MERGE_FLAGS: Record<string, FlagSpec> = {
  out: { value: "k.npy", help: "the merged kernel's .npy path (required; its directory must exist)" },
  dir: { value: "out/", help: "join the blocks that deno task ntk gram wrote there (instead of slabs)" },
};

export const USAGE = `Usage: deno task ntk [flags]
       deno task ntk merge --out k.npy slab0.npy slab1.npy …
       deno task ntk gram --x x.npy --blocks n --dir out/ …   (see deno task ntk gram --help)
       deno task ntk regress --k-train-train … --y-train … --k-test-train …   (see --help)

The NTK of a tfjs layers model on .npy inputs; with no flags, of the bundled example CNN
(examples/cnn) on its seeded inputs.

Flags:
${flagLines(NTK_FLAGS)}

Subcommand:
  merge --out <k.npy> <slab.npy>…   concatenate --block slabs along the first axis
  merge --out <k.npy> --dir <out/>  join the blocks of deno task ntk gram (mirrored below the diagonal)
  gram                              a data set's kernel as resumable blocks (one per array task)
  regress                           test predictions and accuracy by kernel regression

On a mistake: one line on stderr, exit code 1, and no file written.`;

const MERGE_USAGE = `Usage: deno task ntk merge --out k.npy slab0.npy slab1.npy …
       deno task ntk merge --out k.npy --dir out/

Concatenates the slabs written by --block i/n (in order i = 0 … n-1) along the first axis, or
joins the blocks deno task ntk gram wrote in --dir (checking their records agree and none is missing).

Flags:
${flagLines(MERGE_FLAGS)}`;

/** Parses `--block i/n`. */
function parseBlock(text: string): [number, number] {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const [i, n] = m ? [Number(m[1]), Number(m[2])] : [NaN, NaN];
  if (!(n >= 1 && i >= 0 && i < n)) {
    throw flagError(
      "--block",
      text,
      "i/n with 0 ≤ i < n",
      `--block "${text}" is not a slab: give i/n with whole numbers 0 ≤ i < n, e.g. --block 0/4.`,
    );
  }
  return [i, n];
}

/** `--backend` (default auto), and FAST_NTK_BACKEND when auto leaves the choice to it. */
function checkBackendFlag(values: FlagValues): NtkCommand["backend"] {
  const backend = checkBackendName(values);
  const env = backend === "auto" ? Deno.env.get("FAST_NTK_BACKEND") : undefined;
  if (env && env !== "auto" && !(CLI_BACKENDS as readonly string[]).includes(env)) {
    throw flagError(
      "FAST_NTK_BACKEND",
      env,
      CLI_BACKENDS.join(", "),
      `FAST_NTK_BACKEND "${env}" is not a backend: set it to one of ${
        [...CLI_BACKENDS, "auto"].join(", ")
      }, or give --backend.`,
    );
  }
  return backend;
}

/** `--x2` only with `--x1`; `--block i/n`; `--spectrum` only for the square kernel of x1. */
function checkInputFlags(values: FlagValues): [number, number] | undefined {
  if (values.x2 && !values.x1) {
    throw flagError(
      "--x2",
      values.x2,
      "with --x1",
      "--x2 needs --x1 as well (without --x1 the bundled example's inputs are used).",
    );
  }
  const block = values.block === undefined ? undefined : parseBlock(values.block as string);
  // A spectrum needs the square kernel of x1 with itself.
  for (const [flag, given] of [["--x2", values.x2], ["--block", values.block]] as const) {
    if (values.spectrum && given) {
      throw flagError(
        "--spectrum",
        flag,
        "without --x2 and --block",
        `--spectrum needs the square kernel of --x1 with itself, so it cannot be combined with ${flag}.`,
      );
    }
  }
  return block;
}

/** `--workers n` (default 1), not combined with `--block`. */
function checkWorkersFlag(values: FlagValues, block: [number, number] | undefined): number {
  const workersText = (values.workers as string | undefined) ?? "1";
  const workers = /^\d+$/.test(workersText) ? Number(workersText) : NaN;
  if (!(Number.isSafeInteger(workers) && workers >= 1)) {
    throw flagError(
      "--workers",
      workersText,
      "a whole number ≥ 1",
      `--workers "${workersText}" is not a worker count: give a whole number ≥ 1, e.g. --workers 2.`,
    );
  }
  if (workers > 1 && block) {
    throw flagError(
      "--workers",
      workersText,
      "1 with --block",
      "--workers cannot be combined with --block: run each slab in a process of its own instead.",
    );
  }
  return workers;
}

/** The files: two distinct writable outputs, a readable model (unless a URL) and inputs. */
async function checkFileFlags(values: FlagValues): Promise<void> {
  const str = (k: string) => values[k] as string | undefined;
  const [out, plot] = [str("out"), str("plot")];
  if (out && plot && (await realOrSelf(out)) === (await realOrSelf(plot))) {
    throw flagError(
      "--plot",
      plot,
      "a path other than --out's",
      `--plot ${plot} is the same file as --out; give two paths.`,
    );
  }
  if (out) await checkOutputPath("--out", out);
  if (plot) await checkOutputPath("--plot", plot, "k.svg");
  const model = str("model");
  if (model && !/^(https?|file):\/\//.test(model)) await checkInputFile("--model", model, "a tfjs layers model.json");
  for (const flag of ["x1", "x2"]) {
    if (str(flag)) await checkInputFile(`--${flag}`, str(flag)!, "a .npy file");
  }
}

/** Checks the flags of `deno task ntk` (values, combinations, files, output paths). */
export async function checkNtkFlags(values: Record<string, string | true>, positionals: string[]): Promise<NtkCommand> {
  if (positionals.length) {
    throw flagError(
      "arguments",
      positionals,
      "flags",
      `Unexpected argument "${positionals[0]}": inputs are given by flags (e.g. --x1 a.npy); run with --help.`,
    );
  }
  const str = (k: string) => values[k] as string | undefined;
  const method = checkMethodFlag(values);
  const backend = checkBackendFlag(values);
  const block = checkInputFlags(values);
  const workers = checkWorkersFlag(values, block);
  const { budget, budgetText } = checkBudgetFlag(values);
  await checkFileFlags(values);
  return {
    model: str("model"),
    x1: str("x1"),
    x2: str("x2"),
    method,
    full: values.full === true,
    out: str("out"),
    plot: str("plot"),
    backend,
    spectrum: values.spectrum === true,
    block,
    budget,
    budgetText,
    workers,
  };
}

/** A path with its directory resolved (so `a/k.npy` and `./a/k.npy` compare equal). */
async function realOrSelf(path: string): Promise<string> {
  const base = path.slice(path.lastIndexOf("/") + 1);
  const dir = await Deno.realPath(parent(path)).catch(() => parent(path));
  return `${dir}/${base}`;
}

/** Checks the flags of `deno task ntk merge`. */
export async function checkMergeFlags(values: Record<string, string | true>, slabs: string[]): Promise<MergeCommand> {
  const out = values.out as string | undefined;
  const dir = values.dir as string | undefined;
  const example = dir
    ? "e.g. deno task ntk merge --out k.npy --dir out/"
    : "e.g. deno task ntk merge --out k.npy slab0.npy slab1.npy";
  if (!out) {
    throw flagError(
      "--out",
      out,
      "the merged kernel's .npy path",
      `merge needs --out with the merged kernel's path, ${example}.`,
    );
  }
  if (dir !== undefined) {
    if (slabs.length) {
      throw flagError(
        "--dir",
        dir,
        "--dir or slab files",
        `merge takes either --dir or slab files, not both (got --dir ${dir} and ${slabs[0]}).`,
      );
    }
    const stat = await Deno.stat(dir).catch(() => null);
    if (!stat?.isDirectory) {
      throw flagError("--dir", dir, "a directory", `--dir ${dir} is not a directory that gram wrote; ${example}.`);
    }
    await checkOutputPath("--out", out);
    return { out, slabs, dir };
  }
  if (slabs.length === 0) {
    throw flagError(
      "merge inputs",
      slabs,
      "one or more slab .npy files",
      `merge needs the slab .npy files to join, ${example}.`,
    );
  }
  await checkOutputPath("--out", out);
  for (const s of slabs) await checkInputFile("slab", s, "a slab .npy file written with --block");
  return { out, slabs };
}

export async function main(args: string[]): Promise<number> {
  if (args[0] === "gram" || args[0] === "regress") {
    const { jobsMain } = await import("./cli_jobs.ts");
    return await jobsMain(args[0], args.slice(1));
  }
  if (args[0] === "merge") {
    const { values, positionals, help } = parseFlags(args.slice(1), MERGE_FLAGS, "merge");
    if (help) {
      console.log(MERGE_USAGE);
      return 0;
    }
    const command = await checkMergeFlags(values, positionals);
    if (command.dir !== undefined) {
      const { mergeGram } = await import("./cli_gram.ts");
      return await mergeGram(command);
    }
    const { merge } = await import("./cli_compute.ts");
    return await merge(command);
  }
  const { values, positionals, help } = parseFlags(args, NTK_FLAGS, "deno task ntk");
  if (help) {
    console.log(USAGE);
    return 0;
  }
  const command = await checkNtkFlags(values, positionals);
  const loadStart = performance.now();
  const { computeNtk } = await import("./cli_compute.ts");
  return await computeNtk(command, loadStart);
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (e) {
    const msg = (e instanceof Error ? e.message : String(e)).split("\n")[0];
    console.error(`error: ${msg}`);
    Deno.exit(1);
  }
}
