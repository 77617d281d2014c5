/**
 * `deno task ntk gram`: a data set's kernel as independent block files, each beside a record of
 * what it was computed from (SHA-256 of the weights, of the block's input rows and of the
 * options, and of the block file itself), so that a rerun — a resubmitted array job, a crashed
 * run — computes only the blocks whose record is missing or differs; and `merge --dir`, which
 * joins them, mirroring the blocks above the diagonal below it when x2 = x.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "./core/backend.ts";
import { formatMs } from "./core/format.ts";
import { readNpy, toNpy } from "./core/npy.ts";
import { empiricalNtkFn } from "./api/empirical_ntk.ts";
import { flattened } from "./parallel/protocol.ts";
import { fromLayersModel } from "../adapters/layers.ts";
import { flagError, type GramCommand, type MergeCommand } from "./cli_common.ts";
import {
  EXAMPLE,
  fitInput,
  initCliBackend,
  loadCliModel,
  progressReporter,
  readInput,
  writeAll,
} from "./cli_compute.ts";

/** The record's format tag: a record of another format never matches. */
const FORMAT = "fast-ntk gram block 1";

/** One block of the grid: rows [r0, r1) of x against rows [c0, c1) of x2 (or x). */
export interface GramBlock {
  index: number;
  row: number;
  col: number;
  rows: [number, number];
  cols: [number, number];
}

/** What a block file was computed from; a rerun skips the block only when all of it matches. */
export interface BlockRecord extends GramBlock {
  format: string;
  /** Examples of x and x2 (x2 = x: n2 = n1 and symmetric). */
  n1: number;
  n2: number;
  blocks: number;
  symmetric: boolean;
  full: boolean;
  method: string;
  shape: number[];
  sha256: { weights: string; rows: string; cols: string; options: string; kernel: string };
  /** How it was computed (not compared). */
  computed: { method: string; backend: string; ms: number };
}

/** n row ranges of near-equal size covering [0, total). */
export function rowRanges(total: number, n: number): [number, number][] {
  return Array.from({ length: n }, (_, k) => [Math.floor((k * total) / n), Math.floor(((k + 1) * total) / n)]);
}

/** The grid's blocks in order (the array task index): row-major, only j ≥ i when symmetric. */
export function gramBlocks(n1: number, n2: number, blocks: number, symmetric: boolean): GramBlock[] {
  const [r, c] = [rowRanges(n1, blocks), rowRanges(n2, blocks)];
  const out: GramBlock[] = [];
  for (let i = 0; i < blocks; i++) {
    for (let j = symmetric ? i : 0; j < blocks; j++) {
      out.push({ index: out.length, row: i, col: j, rows: r[i], cols: c[j] });
    }
  }
  return out;
}

/** Hex SHA-256 of the concatenated parts (crypto.subtle). */
export async function sha256(parts: (Uint8Array | string)[]): Promise<string> {
  const bytes = parts.map((p) => (typeof p === "string" ? new TextEncoder().encode(p) : p));
  const all = new Uint8Array(bytes.reduce((s, b) => s + b.length, 0));
  let at = 0;
  for (const b of bytes) {
    all.set(b, at);
    at += b.length;
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

const bytesOf = (a: Float32Array | Int32Array | Uint8Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/**
 * The model's identity: its model.json as written (not the loaded layers' names, which tfjs
 * numbers afresh on each load in a process) and every weight's shape, dtype and values, in order.
 */
async function weightsSha256(model: tf.LayersModel, modelPath: string): Promise<string> {
  const json = /^https?:\/\//.test(modelPath)
    ? await (await fetch(modelPath)).text()
    : await Deno.readTextFile(modelPath.replace(/^file:\/\//, ""));
  const parts: (Uint8Array | string)[] = [json];
  for (const w of model.weights) {
    const v = w.read();
    parts.push(`${v.dtype}:[${v.shape}]`, bytesOf((await v.data()) as Float32Array));
  }
  return await sha256(parts);
}

/** Rows [a, b) of an input, with its dtype and feature shape. */
async function rowsSha256(data: Float32Array | Int32Array, x: tf.Tensor, [a, b]: [number, number]) {
  const per = x.shape.slice(1).reduce((s, d) => s * d, 1);
  return await sha256([`${x.dtype}:[${x.shape.slice(1)}]:${a}-${b}`, bytesOf(data.subarray(a * per, b * per))]);
}

const blockPath = (dir: string, b: { row: number; col: number }, ext: string) =>
  `${dir}/block-${b.row}-${b.col}.${ext}`;

/** Whether the record on disk matches `want` and its block file is whole (its SHA-256). */
async function recordMatches(dir: string, want: Omit<BlockRecord, "shape" | "computed">): Promise<boolean> {
  let have: BlockRecord;
  try {
    have = JSON.parse(await Deno.readTextFile(blockPath(dir, want, "json")));
  } catch {
    return false;
  }
  const { kernel: _k, ...wantHashes } = want.sha256;
  const { kernel, ...haveHashes } = have.sha256 ?? {};
  const strip = ({ sha256: _s, shape: _sh, computed: _c, ...rest }: Partial<BlockRecord>) => rest;
  if (JSON.stringify(strip(have)) !== JSON.stringify(strip(want as BlockRecord))) return false;
  if (JSON.stringify(haveHashes) !== JSON.stringify(wantHashes)) return false;
  const bytes = await Deno.readFile(blockPath(dir, want, "npy")).catch(() => null);
  return bytes !== null && (await sha256([bytes])) === kernel;
}

/** The loaded problem of one gram run. */
interface GramProblem {
  model: tf.LayersModel;
  modelPath: string;
  x: tf.Tensor;
  x2: tf.Tensor | null;
  backend: string;
}

/** One block's kernel: rows of x against rows of x2 (or of x; a diagonal block as x against itself). */
async function blockKernel(o: GramCommand, p: GramProblem, b: GramBlock, onProgress: (f: number) => void) {
  const { f, params } = fromLayersModel(p.model);
  const ntk = empiricalNtkFn(flattened(f), {
    method: o.method,
    traceAxes: o.full ? [] : [-1],
    backend: p.backend as "wasm",
    onProgress,
    ...(o.budget ? { memoryBudget: o.budget } : {}),
  });
  const rowsOf = (t: tf.Tensor, [a, c]: [number, number]) => tf.slice(t, a, c - a);
  const xa = rowsOf(p.x, b.rows);
  const diagonal = p.x2 === null && b.row === b.col;
  const xb = diagonal ? null : rowsOf(p.x2 ?? p.x, b.cols);
  try {
    return await ntk.run(xa, xb, params);
  } finally {
    tf.dispose([xa, ...(xb ? [xb] : [])]);
  }
}

/** The blocks this run does: all, or the one `--only` / the array task's index names. */
function blocksToRun(o: GramCommand, all: GramBlock[], n1: number): GramBlock[] {
  if (o.blocks > n1) {
    throw flagError(
      "--blocks",
      o.blocks,
      `1 … ${n1}`,
      `--blocks ${o.blocks} is more than the ${n1} examples of --x${o.x2 ? " or --x2" : ""}; give at most ${n1}.`,
    );
  }
  if (o.only === undefined) return all;
  if (o.only >= all.length) {
    throw flagError(
      "--only",
      o.only,
      `0 … ${all.length - 1}`,
      `block index ${o.only} is out of range: --blocks ${o.blocks} ${
        o.x2 ? "with --x2" : "without --x2"
      } makes ${all.length} blocks, numbered 0 … ${all.length - 1} (sbatch --array=0-${all.length - 1}).`,
    );
  }
  return [all[o.only]];
}

/** `deno task ntk gram` with checked flags. */
export async function computeGram(o: GramCommand): Promise<number> {
  const backend = await initCliBackend(o);
  const modelPath = o.model ?? `${EXAMPLE}model.json`;
  const model = await loadCliModel(modelPath);
  const x = await fitInput(model, await readInput("--x", o.x), "--x");
  const x2 = o.x2 ? await fitInput(model, await readInput("--x2", o.x2), "--x2") : null;
  try {
    const [n1, n2] = [x.shape[0], (x2 ?? x).shape[0]];
    const all = gramBlocks(n1, n2, o.blocks, x2 === null);
    const todo = blocksToRun(o, all, Math.min(n1, n2));
    const counts = await runBlocks(o, { model, modelPath, x, x2, backend }, todo, { n1, n2 });
    console.log(
      `gram [${n1}, ${n2}] of ${
        o.model ?? "the bundled example CNN"
      }: ${all.length} blocks (${o.blocks} × ${o.blocks}` +
        `${x2 ? "" : ", on and above the diagonal"}); this run: ${counts.computed} computed, ${counts.skipped} ` +
        `skipped (records match) · ${o.dir}`,
    );
    return 0;
  } finally {
    tf.dispose([x, ...(x2 ? [x2] : [])]);
    model.dispose();
  }
}

/** Computes each block of `todo` whose record does not match, writing kernel and record atomically. */
async function runBlocks(
  o: GramCommand,
  p: GramProblem,
  todo: GramBlock[],
  { n1, n2 }: { n1: number; n2: number },
): Promise<{ computed: number; skipped: number }> {
  const symmetric = p.x2 === null;
  const xData = (await p.x.data()) as Float32Array | Int32Array;
  const x2Data = p.x2 ? ((await p.x2.data()) as Float32Array | Int32Array) : xData;
  const weights = await weightsSha256(p.model, p.modelPath);
  const options = await sha256([JSON.stringify({ full: o.full, method: o.method, blocks: o.blocks, symmetric })]);
  const progress = progressReporter();
  let [computed, skipped] = [0, 0];
  for (const [k, b] of todo.entries()) {
    const where = `block ${b.index} (rows ${b.rows[0]}–${b.rows[1]}, cols ${b.cols[0]}–${b.cols[1]})`;
    const want = {
      format: FORMAT,
      ...b,
      n1,
      n2,
      blocks: o.blocks,
      symmetric,
      full: o.full,
      method: o.method,
      sha256: {
        weights,
        rows: await rowsSha256(xData, p.x, b.rows),
        cols: await rowsSha256(x2Data, p.x2 ?? p.x, b.cols),
        options,
        kernel: "",
      },
    };
    if (await recordMatches(o.dir, want)) {
      skipped++;
      console.log(`${where}: skipped, its record matches`);
      continue;
    }
    const r = await blockKernel(o, p, b, (f) => progress.bar((k + f) / todo.length));
    const bytes = await toNpy(r.kernel);
    const shape = r.kernel.shape;
    r.kernel.dispose();
    const record: BlockRecord = {
      ...want,
      shape,
      sha256: { ...want.sha256, kernel: await sha256([bytes]) },
      computed: { method: r.info.method, backend: r.info.backend, ms: Math.round(r.info.ms) },
    };
    // The block file first, its record last: a run killed between them leaves no matching record.
    await writeAll([{ path: blockPath(o.dir, b, "npy"), bytes }]);
    await writeAll([{ path: blockPath(o.dir, b, "json"), bytes: new TextEncoder().encode(JSON.stringify(record)) }]);
    progress.done();
    computed++;
    console.log(`${where}: computed in ${formatMs(r.info.ms)} (${r.info.method}, ${r.info.backend})`);
  }
  return { computed, skipped };
}

/** The records in a gram directory, checked to be one complete, consistent grid. */
async function gridRecords(dir: string): Promise<BlockRecord[]> {
  const records: BlockRecord[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (!/^block-\d+-\d+\.json$/.test(e.name)) continue;
    const r = JSON.parse(await Deno.readTextFile(`${dir}/${e.name}`)) as BlockRecord;
    if (r.format === FORMAT) records.push(r);
  }
  if (!records.length) {
    throw flagError(
      "--dir",
      dir,
      "a gram directory",
      `--dir ${dir} holds no block records; run deno task ntk gram first.`,
    );
  }
  const ref = records.sort((a, b) => a.index - b.index)[0];
  const key = (r: BlockRecord) =>
    JSON.stringify([r.n1, r.n2, r.blocks, r.symmetric, r.full, r.method, r.sha256.weights, r.sha256.options]);
  const odd = records.find((r) => key(r) !== key(ref));
  if (odd) {
    throw flagError(
      "--dir",
      dir,
      "one gram's blocks",
      `--dir ${dir} mixes blocks of different runs: ${blockPath(dir, odd, "json")} differs from ` +
        `${blockPath(dir, ref, "json")} (model weights, inputs' size, --blocks, --x2, --full or --method).`,
    );
  }
  const want = gramBlocks(ref.n1, ref.n2, ref.blocks, ref.symmetric);
  const missing = want.filter((b) => !records.some((r) => r.row === b.row && r.col === b.col));
  if (missing.length) {
    throw flagError(
      "--dir",
      dir,
      "every block",
      `--dir ${dir} lacks ${missing.length} of ${want.length} blocks (block ${missing[0].index}: ` +
        `${blockPath(dir, missing[0], "npy")}); run deno task ntk gram again, which computes only those.`,
    );
  }
  return want.map((b) => records.find((r) => r.row === b.row && r.col === b.col)!);
}

/**
 * Copies a block [r, c(, O, O)] into the whole kernel [N1, N2(, O, O)] at (a, c0) — and, mirrored,
 * at (c0, a) with the [O, O] part transposed too: K(x_q, x_p)[o, o'] = K(x_p, x_q)[o', o].
 */
export function placeBlock(
  out: Float32Array,
  n2: number,
  block: Float32Array,
  [r, c, o = 1]: number[],
  [a, c0]: [number, number],
  mirror: boolean,
): void {
  const oo = o * o;
  for (let p = 0; p < r; p++) {
    for (let q = 0; q < c; q++) {
      const from = (p * c + q) * oo;
      out.set(block.subarray(from, from + oo), ((a + p) * n2 + c0 + q) * oo);
      if (!mirror) continue;
      const to = ((c0 + q) * n2 + a + p) * oo;
      for (let u = 0; u < o; u++) for (let v = 0; v < o; v++) out[to + v * o + u] = block[from + u * o + v];
    }
  }
}

/** `merge --dir out/ --out k.npy`: the whole kernel from a gram directory's blocks. */
export async function mergeGram(o: MergeCommand): Promise<number> {
  const dir = o.dir!.replace(/\/+$/, "") || "/";
  const records = await gridRecords(dir);
  await initBackend("cpu");
  const { n1, n2, full } = records[0];
  let out: Float32Array | null = null;
  let tail: number[] = [];
  for (const r of records) {
    const bytes = await Deno.readFile(blockPath(dir, r, "npy"));
    if ((await sha256([bytes])) !== r.sha256.kernel) {
      throw flagError(
        "--dir",
        dir,
        "whole block files",
        `${blockPath(dir, r, "npy")} does not match its record (changed or truncated); delete it and rerun gram.`,
      );
    }
    const t = await readNpy(blockPath(dir, r, "npy"));
    const data = (await t.data()) as Float32Array;
    const shape = t.shape as number[];
    t.dispose();
    tail = full ? shape.slice(2) : [];
    out ??= new Float32Array(n1 * n2 * (full ? shape[2] * shape[3] : 1));
    placeBlock(out, n2, data, shape, [r.rows[0], r.cols[0]], r.symmetric && r.row !== r.col);
  }
  const k = tf.tensor(out!, [n1, n2, ...tail]);
  await writeAll([{ path: o.out, bytes: await toNpy(k) }]);
  k.dispose();
  console.log(
    `merged ${records.length} blocks into [${[n1, n2, ...tail].join(", ")}]` +
      `${records[0].symmetric ? " (mirrored below the diagonal)" : ""} · wrote ${o.out}`,
  );
  return 0;
}
