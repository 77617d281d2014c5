/**
 * The work behind `deno task ntk` once src/cli.ts has checked its flags: load the model and
 * inputs, check them against the model's input (shape, integer ids, finite values) before any
 * NTK work, compute, and write the outputs atomically (all or none).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type BackendName, initBackend } from "./core/backend.ts";
import { MemoryBudgetError } from "./core/errors.ts";
import { formatBytes, formatMs } from "./core/format.ts";
import { empiricalNtkFn } from "./api/empirical_ntk.ts";
import { readNpy, toNpy } from "./core/npy.ts";
import { kernelHeatmapSvg } from "./core/plot.ts";
import { ntkSpectrum } from "./toolkit/spectrum.ts";
import { empiricalNtkParallelFn, shareParams } from "./parallel/mod.ts";
import { flattened } from "./parallel/protocol.ts";
import { fromLayersModel } from "../adapters/layers.ts";
import { loadModel } from "../adapters/io.ts";
import { flagError, type MergeCommand, type NtkCommand } from "./cli_common.ts";

export const EXAMPLE = new URL("../examples/cnn/", import.meta.url).pathname;
const DEFAULT_BUDGET = 2 * 2 ** 30;

/** Writes files only once all their contents are complete: temp files beside them, then renames. */
export async function writeAll(files: { path: string; bytes: Uint8Array }[]): Promise<void> {
  const tmps = files.map((f) => `${f.path}.tmp-${crypto.randomUUID().slice(0, 8)}`);
  try {
    for (const [k, f] of files.entries()) await Deno.writeFile(tmps[k], f.bytes);
    for (const [k, f] of files.entries()) await Deno.rename(tmps[k], f.path);
  } catch (e) {
    await Promise.all(tmps.map((t) => Deno.remove(t).catch(() => {})));
    throw e;
  }
}

/** Progress on stderr: a bar on a terminal, stage lines otherwise. */
export function progressReporter() {
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

/** `[i, j, …]` of a flat index in a row-major shape. */
function indexOf(flat: number, shape: number[]): string {
  const idx: number[] = [];
  for (let a = shape.length - 1; a >= 0; a--) {
    idx.unshift(flat % shape[a]);
    flat = Math.floor(flat / shape[a]);
  }
  return `[${idx.join(", ")}]`;
}

/** The Embedding layers that read the model's input directly (their ids must be whole numbers in range). */
function embeddingsOfInput(model: tf.LayersModel): { name: string; inputDim: number }[] {
  const input = model.inputs[0];
  return model.layers
    .filter((l) => l.getClassName() === "Embedding")
    .filter((l) => l.inboundNodes.some((n) => n.inputTensors.includes(input)))
    .map((l) => ({ name: l.name, inputDim: Number(l.getConfig().inputDim) }));
}

/**
 * Checks an input against the model's input before any NTK work — feature shape, at least one
 * example, whole-number ids in range for an integer input (int32, or read by an Embedding),
 * finite values — and casts it to the model's input dtype. The message names the flag.
 */
export async function fitInput(model: tf.LayersModel, x: tf.Tensor, flag: string): Promise<tf.Tensor> {
  const want = model.inputs[0].shape.slice(1);
  const got = x.shape.slice(1);
  const wantText = `[N, ${want.map((d) => d ?? "any").join(", ")}]`;
  if (x.rank < 1 || got.length !== want.length || want.some((d, i) => d !== null && d !== got[i])) {
    x.dispose();
    const e = flagError(flag, x.shape, wantText, "");
    e.message = `${flag} has shape [${x.shape.join(", ")}] but the model takes ${wantText}` +
      " (N examples along the first axis).";
    throw e;
  }
  if (x.shape[0] === 0) {
    x.dispose();
    throw flagError(
      flag,
      x.shape,
      "N ≥ 1",
      `${flag} holds no examples (shape [${x.shape.join(", ")}]); give at least one.`,
    );
  }
  const values = await x.data();
  const embeddings = embeddingsOfInput(model);
  const integer = model.inputs[0].dtype === "int32" || embeddings.length > 0;
  const reject = (k: number, sentence: string) => {
    x.dispose();
    return flagError(flag, values[k], "", sentence.replace("@", indexOf(k, x.shape)));
  };
  for (let k = 0; k < values.length; k++) {
    const v = values[k];
    if (!Number.isFinite(v)) throw reject(k, `${flag} holds ${v} at @; give finite values.`);
    if (integer && !Number.isInteger(v)) {
      throw reject(k, `${flag} holds ${v} at @, but the model's input takes whole-number token ids; give integers.`);
    }
  }
  for (const { name, inputDim } of embeddings) {
    const k = values.findIndex((v) => v < 0 || v >= inputDim);
    if (k >= 0) {
      throw reject(
        k,
        `${flag} holds token id ${values[k]} at @, outside the 0 … ${inputDim - 1} that layer "${name}" ` +
          `(Embedding, input_dim ${inputDim}) accepts.`,
      );
    }
  }
  const dtype = model.inputs[0].dtype;
  if (x.dtype === dtype) return x;
  const cast = tf.cast(x, dtype);
  x.dispose();
  return cast;
}

/** `readNpy` with the flag in its message. */
export async function readInput(flag: string, path: string): Promise<tf.Tensor> {
  try {
    return await readNpy(path);
  } catch (e) {
    const msg = (e as Error).message.split("\n")[0];
    // NpyError messages start with the path ("a.npy has dtype '<i8'; …").
    const sentence = msg.startsWith(path) ? `${flag} ${msg}` : `${flag} ${path} cannot be read: ${msg}`;
    throw flagError(flag, path, "a .npy file", sentence.endsWith(".") ? sentence : `${sentence}.`);
  }
}

/** The worker pool's choice, as `empiricalNtkParallelFn` makes it: in this process or not. */
export interface WorkersCase {
  workers: number;
  cores: number;
  backend: BackendName;
  method: string;
  /** False when examples interact (batch statistics): one block, in this process. */
  splittable: boolean;
  examples: number;
  /** Whether the parameters divide evenly enough among the workers. */
  sharesParams: boolean;
  /** The cost model's estimate of the kernel in this process. */
  estimateMs: number;
  /** What this process spent loading tfjs, its backend and the model: each worker repeats it. */
  startupMs: number;
}

/**
 * A note when `--workers n` is expected to be no faster than one process, or null. The pool's
 * time is at least a worker's start-up (≥ this process's own: each loads tfjs, the backend and
 * the model) plus the kernel's estimate shared over min(n, cores) — over one on WebGPU, where
 * the workers share the GPU.
 */
export function workersNote(c: WorkersCase): string | null {
  const flag = `--workers ${c.workers}`;
  if (c.method === "structured") {
    return `${flag} has no effect: structured derivatives run in this process, since each worker would repeat ` +
      "the passes that make most of their cost.";
  }
  if (!c.sharesParams && (!c.splittable || c.examples === 1)) {
    return `${flag} has no effect: ${
      c.splittable ? "there is one example" : "the examples interact (batch statistics)"
    }, so the kernel is one block, computed in this process.`;
  }
  const lanes = c.backend === "webgpu" ? 1 : Math.min(c.workers, c.cores);
  const startup = c.startupMs * Math.max(1, c.workers / c.cores);
  const pool = startup + c.estimateMs / lanes;
  if (pool < c.estimateMs) return null;
  const why = c.backend === "webgpu"
    ? "the workers share one GPU"
    : c.workers > c.cores
    ? `this machine has ${c.cores} cores`
    : `the kernel is estimated at ${formatMs(c.estimateMs)} in this process`;
  return `${flag} is expected to be slower than one process: ${why}, and starting the workers takes at least ` +
    `${formatMs(startup)} (each loads tfjs and the model, as this process did in ${formatMs(c.startupMs)}).`;
}

/** The backend `--backend` names, initialized; a flag error when it cannot be. */
export async function initCliBackend(o: Pick<NtkCommand, "backend">): Promise<BackendName> {
  try {
    return await initBackend(o.backend);
  } catch (e) {
    throw flagError(
      "--backend",
      o.backend,
      "a backend present",
      `--backend ${o.backend} cannot be initialized on this machine (${(e as Error).message.split("\n")[0]}); ` +
        "give wasm or cpu.",
    );
  }
}

/** The single-input model `--model` names (default: the bundled example); a flag error else. */
export async function loadCliModel(modelPath: string): Promise<tf.LayersModel> {
  let model: tf.LayersModel;
  try {
    model = await loadModel(modelPath);
  } catch (e) {
    // ModelLoadError: "Cannot read model P: why", "Cannot load model P: why", "P has no modelTopology: …".
    const msg = (e as Error).message.split("\n")[0].replace(`Cannot read model ${modelPath}: `, "")
      .replace(`Cannot load model ${modelPath}: `, "");
    const unknown = /^Unknown layer: (\w+)/.exec(msg)?.[1];
    const sentence = unknown
      ? `--model ${modelPath} uses layer class "${unknown}", which tfjs-layers does not know ` +
        "(a custom layer must be registered with tf.serialization.registerClass)"
      : msg.startsWith(modelPath)
      ? `--model ${msg}`
      : `--model ${modelPath} cannot be loaded: ${msg.split(/(?<=\.)\s/)[0]}`;
    throw flagError(
      "--model",
      modelPath,
      "a tfjs layers model.json",
      sentence.endsWith(".") ? sentence : `${sentence}.`,
    );
  }
  if (model.inputs.length !== 1) {
    throw flagError(
      "--model",
      modelPath,
      "a single-input model",
      `--model ${modelPath} has ${model.inputs.length} inputs, and the CLI takes single-input models ` +
        "(use the library for several).",
    );
  }
  return model;
}

/** What the CLI reports of a computed kernel. */
interface CliInfo {
  method: string;
  backend: string;
  ms: number;
  flops: number;
  /** Whether the example axis was tracked (one process); undefined with workers. */
  tracked?: boolean;
  /** Workers used (1: this process). */
  workers: number;
}

/** The loaded model and inputs of one `deno task ntk` call. */
interface CliProblem {
  model: tf.LayersModel;
  modelPath: string;
  x1: tf.Tensor;
  x2: tf.Tensor | null;
  backend: BackendName;
  /** What this process spent loading tfjs, its backend, the model and inputs. */
  startupMs: number;
}

/**
 * The kernel, in this process or by `--workers` workers: the plan first (method, blocks, budget;
 * no kernel work), so a budget too small for one example is refused before any work and the
 * stage line can say what AUTO chose.
 */
async function runCliKernel(
  o: NtkCommand,
  p: CliProblem,
  progress: ReturnType<typeof progressReporter>,
): Promise<{ kernel: tf.Tensor; info: CliInfo }> {
  const { x1, x2, backend } = p;
  // O = all output entries of one example (several outputs are concatenated in order).
  const { f, params } = fromLayersModel(p.model);
  const options = {
    method: o.method,
    traceAxes: o.full ? [] : [-1],
    backend,
    onProgress: progress.bar,
    ...(o.budget ? { memoryBudget: o.budget } : {}),
  };
  const local = empiricalNtkFn(flattened(f), { ...options, ...(o.block ? { block: o.block } : {}) });
  const plan = await local.plan(x1, x2, params);
  const chosen = `${plan.method}${o.method === "auto" ? ", chosen by AUTO" : ""}`;
  if (o.workers <= 1) {
    progress.stage(`computing the NTK (${chosen}) on ${backend}`);
    const r = await local.run(x1, x2, params);
    return { kernel: r.kernel, info: { ...r.info, tracked: r.info.exampleAxis.tracked, workers: 1 } };
  }
  // What the pool will do, by the same plan and cost model, to say when it will not help.
  const note = workersNote({
    workers: o.workers,
    cores: navigator.hardwareConcurrency ?? 1,
    backend,
    method: plan.method,
    splittable: plan.splittable,
    examples: Math.max(x1.shape[0], x2 ? x2.shape[0] : x1.shape[0]),
    sharesParams: shareParams(params, o.workers, false) !== null,
    estimateMs: plan.estimates[plan.method],
    startupMs: p.startupMs,
  });
  if (note) console.error(`note: ${note}`);
  progress.stage(`computing the NTK (${chosen}) on ${backend} with ${o.workers} workers`);
  const ntk = empiricalNtkParallelFn({ model: p.modelPath, flatten: true }, { ...options, workers: o.workers });
  try {
    const r = await ntk.run(x1, x2, params);
    return { kernel: r.kernel, info: r.info };
  } finally {
    ntk.dispose();
  }
}

/**
 * The heatmap `--plot` writes: a full kernel as the (N1·O) × (N2·O) matrix in example-major order,
 * with lines between examples; with `--spectrum`, its panel beside.
 */
async function kernelSvg(
  o: NtkCommand,
  kernel: tf.Tensor,
  method: string,
  spectrum: Awaited<ReturnType<typeof ntkSpectrum>> | null,
): Promise<string> {
  const title = `NTK (${o.full ? "full" : "mean over outputs"}) of ${o.model ?? "the example CNN"} — ${method}`;
  return kernelHeatmapSvg(await kernel.data(), kernel.shape, { title, ...(spectrum ? { spectrum } : {}) });
}

/** The summary line, the spectrum's numbers, and a small kernel itself when not written to a file. */
async function printKernel(
  o: NtkCommand,
  kernel: tf.Tensor,
  info: CliInfo,
  spectrum: Awaited<ReturnType<typeof ntkSpectrum>> | null,
): Promise<void> {
  const what = o.model ? o.model : "the bundled example CNN (examples/cnn)";
  console.log(
    `NTK [${kernel.shape.join(", ")}] of ${what} · method ${info.method} · backend ${info.backend} · ` +
      `${info.ms.toFixed(1)} ms · ${(info.flops / 1e6).toFixed(2)} MFLOP` +
      (info.tracked === undefined
        ? ` · ${info.workers} workers`
        : ` · example axis ${info.tracked ? "tracked" : "lost"}`) +
      (o.out ? ` · wrote ${o.out}` : "") + (o.plot ? ` · plot ${o.plot}` : ""),
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
  if (!o.out && kernel.rank === 2 && shape[0] <= 12 && shape[1] <= 12) {
    const rowsOut = (await kernel.array()) as number[][];
    for (const r of rowsOut) console.log(r.map((v) => v.toPrecision(5).padStart(11)).join(" "));
  }
}

/** `deno task ntk` with checked flags. */
export async function computeNtk(o: NtkCommand, loadStart = performance.now()): Promise<number> {
  const progress = progressReporter();
  const backend = await initCliBackend(o);
  const modelPath = o.model ?? `${EXAMPLE}model.json`;
  const model = await loadCliModel(modelPath);
  const x1 = await fitInput(model, await readInput("--x1", o.x1 ?? `${EXAMPLE}x.npy`), "--x1");
  const x2 = o.x2 ? await fitInput(model, await readInput("--x2", o.x2), "--x2") : null;
  // What a worker repeats: loading tfjs (this module's import), the backend, the model and inputs.
  const startupMs = performance.now() - loadStart;
  let kernel: tf.Tensor, info: CliInfo;
  try {
    ({ kernel, info } = await runCliKernel(o, { model, modelPath, x1, x2, backend, startupMs }, progress));
  } catch (e) {
    tf.dispose([x1, ...(x2 ? [x2] : [])]);
    model.dispose();
    if (e instanceof MemoryBudgetError) throw budgetError(e, o);
    throw e;
  }
  progress.done();

  const spectrum = o.spectrum ? await ntkSpectrum(kernel) : null;
  const files: { path: string; bytes: Uint8Array }[] = [];
  if (o.out) files.push({ path: o.out, bytes: await toNpy(kernel) });
  if (o.plot) {
    files.push({ path: o.plot, bytes: new TextEncoder().encode(await kernelSvg(o, kernel, info.method, spectrum)) });
  }
  await writeAll(files);
  await printKernel(o, kernel, info, spectrum);
  tf.dispose([kernel, x1, ...(x2 ? [x2] : [])]);
  model.dispose();
  return 0;
}

/** The library's budget error as one sentence about --budget (or the GPU's buffer limit). */
function budgetError(e: MemoryBudgetError, o: NtkCommand): Error {
  const budget = o.budget ?? DEFAULT_BUDGET;
  const what = /: (.*) needs about/.exec(e.message)?.[1] ?? "one example";
  if (e.budget !== budget) {
    return flagError(
      "--backend",
      o.backend,
      "wasm or cpu",
      `--backend webgpu cannot hold ${what}: its largest tensor needs about ${formatBytes(e.needed)}, above the ` +
        `GPU's buffer limit of ${formatBytes(e.budget)}; give --backend wasm, or a lighter --method.`,
    );
  }
  const given = o.budgetText === undefined ? "2048 (the default)" : o.budgetText;
  const enough = Math.ceil(e.needed / 2 ** 20);
  return flagError(
    "--budget",
    o.budgetText,
    `≥ ${enough} MiB`,
    `--budget ${given} MiB (${formatBytes(budget)}) is too small: ${what} needs about ${formatBytes(e.needed)}; ` +
      `give --budget ${enough} or more, or a lighter --method.`,
  );
}

/** `merge --out k.npy a.npy b.npy …`: concatenates slabs (from --block) along axis 0. */
export async function merge(o: MergeCommand): Promise<number> {
  await initBackend("cpu");
  const parts: tf.Tensor[] = [];
  try {
    for (const p of o.slabs) parts.push(await readInput("slab", p));
    const tail = parts[0].shape.slice(1).join(", ");
    const odd = parts.findIndex((t) => t.shape.slice(1).join(", ") !== tail);
    if (odd >= 0) {
      throw flagError(
        "slab",
        parts[odd].shape,
        `[…, ${tail}]`,
        `slab ${o.slabs[odd]} has shape [${parts[odd].shape.join(", ")}] but slab ${o.slabs[0]} has ` +
          `[${parts[0].shape.join(", ")}]; slabs must agree beyond the first axis.`,
      );
    }
    const k = tf.concat(parts, 0);
    await writeAll([{ path: o.out, bytes: await toNpy(k) }]);
    console.log(`merged ${parts.length} slabs into [${k.shape.join(", ")}] · wrote ${o.out}`);
    k.dispose();
  } finally {
    tf.dispose(parts);
  }
  return 0;
}
