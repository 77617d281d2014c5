/**
 * `deno task ntk`: the NTK of a tfjs-layers model on `.npy` inputs.
 *
 *   deno task ntk [--model model.json] [--x1 a.npy] [--x2 b.npy] [--method auto|jacobian|ntkvp|…]
 *                 [--full] [--out k.npy] [--backend webgpu|wasm|cpu] [--plot k.svg] [--spectrum]
 *
 * With no --model it runs the bundled example (examples/cnn) on its seeded inputs.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { type BackendName, BACKENDS, initBackend } from "./backend.ts";
import { InvalidOptionError, ShapeMismatchError } from "./errors.ts";
import { empiricalNtkFn, METHOD_NAMES, type NtkMethod } from "./ntk/mod.ts";
import { readNpy, writeNpy } from "./npy.ts";
import { heatmapSvg } from "./plot.ts";
import { ntkSpectrum } from "./toolkit/spectrum.ts";
import { empiricalNtkParallelFn } from "./parallel/mod.ts";
import { flattened } from "./parallel/protocol.ts";
import { fromLayersModel } from "../adapters/layers.ts";
import { loadModel } from "../adapters/io.ts";

const USAGE = `Usage: deno task ntk [options]

  --model <model.json>   a tfjs layers model (weights beside it); default: the bundled example
  --x1 <a.npy>           inputs, leading axis = examples (float32/float64, or int32 token ids)
  --x2 <b.npy>           second inputs (default: x2 = x1)
  --method <name>        ${METHOD_NAMES.join(" | ")} (default: auto)
  --full                 the full kernel (N1, N2, O, O) instead of the mean over outputs (N1, N2)
  --out <k.npy>          write the kernel as float32 .npy
  --backend <name>       ${BACKENDS.join(" | ")} (default: the fastest present)
  --plot <k.svg>         write an SVG heatmap of the kernel
  --spectrum             print the top 10 eigenvalues, condition number and effective rank of
                         the kernel of x1 with itself (full: as N·O × N·O); with --plot, add a panel
  --block <i/n>          compute only slab i of n of x1's examples (0-based), to split a large
                         kernel over machines; join the slabs with: deno task ntk merge
  --budget <MiB>         memory budget (default 2048): larger kernels are computed in blocks
  --workers <n>          compute blocks of the kernel on n Deno Workers (tfjs-wasm uses one core
                         per process; default 1: in this process)
  --help                 this text

  deno task ntk merge --out k.npy slab0.npy slab1.npy …   concatenates slabs along axis 0`;

const EXAMPLE = new URL("../examples/cnn/", import.meta.url).pathname;

/** Writes a file only once its content is complete: a temp file beside it, then a rename. */
async function writeAtomically(path: string, write: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = `${path}.tmp-${crypto.randomUUID().slice(0, 8)}`;
  try {
    await write(tmp);
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}

/** Progress on stderr: a bar on a terminal, stage lines otherwise. */
function progressReporter() {
  const tty = Deno.stderr.isTerminal();
  const enc = new TextEncoder();
  let last = -1;
  return {
    stage(s: string) {
      if (!tty) Deno.stderr.writeSync(enc.encode(`${s}\n`));
    },
    bar(fraction: number) {
      if (!tty) return;
      const pct = Math.round(fraction * 100);
      if (pct === last) return;
      last = pct;
      const n = Math.round(fraction * 30);
      Deno.stderr.writeSync(enc.encode(`\r[${"#".repeat(n)}${".".repeat(30 - n)}] ${pct}%`));
    },
    done() {
      if (tty && last >= 0) Deno.stderr.writeSync(enc.encode("\r" + " ".repeat(40) + "\r"));
    },
  };
}

/** Checks that an input fits the model's input (feature shape), and casts ids for float models. */
function fitInput(model: tf.LayersModel, x: tf.Tensor, flag: string): tf.Tensor {
  const want = model.inputs[0].shape.slice(1);
  const got = x.shape.slice(1);
  if (got.length !== want.length || want.some((d, i) => d !== null && d !== got[i])) {
    throw new ShapeMismatchError(
      flag,
      x.shape,
      `the model expects inputs of shape [N, ${want.map((d) => d ?? "?").join(", ")}]`,
    );
  }
  return model.inputs[0].dtype === "float32" && x.dtype !== "float32" ? tf.cast(x, "float32") : x;
}

/** Parses `--block i/n`. */
function parseBlock(text: string): [number, number] {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const [i, n] = m ? [Number(m[1]), Number(m[2])] : [NaN, NaN];
  if (!(n >= 1 && i >= 0 && i < n)) throw new InvalidOptionError("--block", text, ["i/n with 0 ≤ i < n, e.g. 0/4"]);
  return [i, n];
}

/** `merge --out k.npy a.npy b.npy …`: concatenates slabs (from --block) along axis 0. */
async function merge(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: { out: { type: "string" } },
  });
  if (!values.out) throw new InvalidOptionError("--out", undefined, ["the merged kernel's .npy path"]);
  if (positionals.length === 0) {
    throw new InvalidOptionError("merge inputs", positionals, ["one or more slab .npy files"]);
  }
  await initBackend("cpu");
  const parts = [];
  for (const p of positionals) parts.push(await readNpy(p));
  const tail = parts[0].shape.slice(1).join(",");
  const odd = parts.findIndex((t) => t.shape.slice(1).join(",") !== tail);
  if (odd >= 0) {
    throw new ShapeMismatchError(
      positionals[odd],
      parts[odd].shape,
      `slabs must agree beyond axis 0 with [${parts[0].shape}]`,
    );
  }
  const k = tf.concat(parts, 0);
  await writeAtomically(values.out, (tmp) => writeNpy(tmp, k));
  console.log(`merged ${parts.length} slabs into [${k.shape.join(", ")}] · wrote ${values.out}`);
  tf.dispose([k, ...parts]);
  return 0;
}

export async function main(args: string[]): Promise<number> {
  if (args[0] === "merge") return await merge(args.slice(1));
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      model: { type: "string" },
      x1: { type: "string" },
      x2: { type: "string" },
      method: { type: "string", default: "auto" },
      full: { type: "boolean", default: false },
      out: { type: "string" },
      backend: { type: "string", default: "auto" },
      plot: { type: "string" },
      spectrum: { type: "boolean", default: false },
      block: { type: "string" },
      budget: { type: "string" },
      workers: { type: "string", default: "1" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const method = values.method as NtkMethod;
  if (!METHOD_NAMES.includes(method)) throw new InvalidOptionError("--method", values.method, METHOD_NAMES);
  if (values.backend !== "auto" && !BACKENDS.includes(values.backend as BackendName)) {
    throw new InvalidOptionError("--backend", values.backend, [...BACKENDS, "auto"]);
  }
  if (values.x2 && !values.x1) throw new InvalidOptionError("--x2", values.x2, ["given together with --x1"]);
  const block = values.block === undefined ? undefined : parseBlock(values.block);
  // A spectrum needs the square kernel of x1 with itself.
  if (values.spectrum && (values.x2 || block)) {
    throw new InvalidOptionError("--spectrum", values.x2 ? "--x2" : "--block", ["used without --x2 and --block"]);
  }
  const workers = Number(values.workers);
  if (!(Number.isInteger(workers) && workers >= 1)) {
    throw new InvalidOptionError("--workers", values.workers, ["a positive integer"]);
  }
  if (workers > 1 && block) throw new InvalidOptionError("--workers", values.workers, ["1 together with --block"]);
  const budget = values.budget === undefined ? undefined : Number(values.budget) * 2 ** 20;
  if (budget !== undefined && !(budget > 0)) {
    throw new InvalidOptionError("--budget", values.budget, ["a positive number of MiB"]);
  }
  const progress = progressReporter();
  const backend = await initBackend(values.backend as BackendName | "auto");

  progress.stage("loading the model and inputs");
  const modelPath = values.model ?? `${EXAMPLE}model.json`;
  const model = await loadModel(modelPath);
  if (model.inputs.length !== 1) {
    throw new ShapeMismatchError(
      "--model",
      model.inputs.length,
      "the CLI takes single-input models (use the library for several inputs)",
    );
  }
  const x1 = fitInput(model, await readNpy(values.x1 ?? `${EXAMPLE}x.npy`), "--x1");
  const x2 = values.x2 ? fitInput(model, await readNpy(values.x2), "--x2") : null;

  // O = all output entries of one example (several outputs are concatenated in order).
  const { f, params } = fromLayersModel(model);
  progress.stage(`computing the NTK (${method}) on ${backend}${workers > 1 ? ` with ${workers} workers` : ""}`);
  const options = {
    method,
    traceAxes: values.full ? [] : [-1],
    backend,
    onProgress: progress.bar,
    ...(budget ? { memoryBudget: budget } : {}),
  };
  let kernel: tf.Tensor, info: { method: string; backend: string; ms: number; flops: number; tracked?: boolean };
  if (workers > 1) {
    const ntk = empiricalNtkParallelFn({ model: modelPath, flatten: true }, { ...options, workers });
    try {
      ({ kernel, info } = await ntk.run(x1, x2, params));
    } finally {
      ntk.dispose();
    }
  } else {
    const ntk = empiricalNtkFn(flattened(f), { ...options, ...(block ? { block } : {}) });
    const r = await ntk.run(x1, x2, params);
    kernel = r.kernel;
    info = { ...r.info, tracked: r.info.exampleAxis.tracked };
  }
  progress.done();

  const spectrum = values.spectrum ? await ntkSpectrum(kernel) : null;
  if (values.out) await writeAtomically(values.out, (tmp) => writeNpy(tmp, kernel));
  if (values.plot) {
    const s = kernel.shape as number[];
    const rows = kernel.rank === 4 ? s[0] * s[2] : s[0];
    const cols = kernel.rank === 4 ? s[1] * s[3] : s[1];
    // A full kernel is shown as the (N1·O) × (N2·O) matrix.
    const mat = kernel.rank === 4 ? tf.reshape(tf.transpose(kernel, [0, 2, 1, 3]), [rows, cols]) : kernel;
    const data = await mat.data();
    if (mat !== kernel) mat.dispose();
    const title = `NTK (${values.full ? "full" : "mean over outputs"}) of ${
      values.model ?? "the example CNN"
    } — ${info.method}`;
    const svg = heatmapSvg(data, rows, cols, {
      title,
      rowsLabel: values.full ? `x1 · outputs (${rows})` : `x1 (${rows})`,
      colsLabel: values.full ? `x2 · outputs (${cols})` : `x2 (${cols})`,
      ...(spectrum ? { spectrum: spectrum.eigenvalues } : {}),
    });
    await writeAtomically(values.plot, (tmp) => Deno.writeTextFile(tmp, svg));
  }
  const what = values.model ? values.model : "the bundled example CNN (examples/cnn)";
  console.log(
    `NTK [${kernel.shape.join(", ")}] of ${what} · method ${info.method} · backend ${info.backend} · ` +
      `${info.ms.toFixed(1)} ms · ${(info.flops / 1e6).toFixed(2)} MFLOP` +
      (info.tracked === undefined ? ` · ${workers} workers` : ` · example axis ${info.tracked ? "tracked" : "lost"}`) +
      (values.out ? ` · wrote ${values.out}` : "") + (values.plot ? ` · plot ${values.plot}` : ""),
  );
  if (spectrum) {
    const top = Array.from(spectrum.eigenvalues.subarray(0, 10), (v) => v.toPrecision(6));
    console.log(`eigenvalues (top ${top.length} of ${spectrum.eigenvalues.length}): ${top.join(" ")}`);
    console.log(
      `condition number ${spectrum.conditionNumber.toPrecision(6)} · effective rank ` +
        `${spectrum.effectiveRank.toPrecision(6)} (entropy) · rank ${spectrum.rank}`,
    );
  }
  const shape = kernel.shape as number[];
  if (!values.out && kernel.rank === 2 && shape[0] <= 12 && shape[1] <= 12) {
    const rowsOut = (await kernel.array()) as number[][];
    for (const r of rowsOut) console.log(r.map((v) => v.toPrecision(5).padStart(11)).join(" "));
  }
  tf.dispose([kernel, x1, ...(x2 ? [x2] : [])]);
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (e) {
    const msg = (e as Error).message.split("\n")[0];
    console.error(`error: ${msg}`);
    Deno.exit(1);
  }
}
