// `deno task ntk` on bad invocations: each one exits with code 1 and one `error:` line on stderr
// naming the flag (no stack trace), and leaves no file behind (no output, no .tmp). The cases run
// as concurrent `deno run` subprocesses. Checks that must fire before any NTK work use inputs
// whose kernel would take minutes (HUGE: 3000 CNN examples, 100 000 token sequences), so a check
// that came too late would show as a hung test, not as a timing assertion. Also: -h/--help.
import assert from "node:assert/strict";
import { BACKENDS } from "../../src/core/backend.ts";
import { METHOD_NAMES } from "../../src/api/empirical_ntk.ts";
import { USAGE } from "../../src/cli.ts";
import { CLI_BACKENDS, CLI_METHODS } from "../../src/cli_common.ts";
import { type WorkersCase, workersNote } from "../../src/cli_compute.ts";
import { formatBytes } from "../../src/core/format.ts";

const root = new URL("../../", import.meta.url).pathname;
const FX = `${root}tests/fixtures`;
const CPU = ["--backend", "cpu"];
// The cases' subprocesses run concurrently, across the tests that await them.
const LANES = 4;
const opts = { sanitizeOps: false, sanitizeResources: false };

/** A C-order `.npy` (version 1.0) of float32 or int32 values, written without tfjs. */
async function npy(path: string, shape: number[], data: Float32Array | Int32Array | BigInt64Array) {
  const descr = data instanceof Float32Array ? "<f4" : data instanceof Int32Array ? "<i4" : "<i8";
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${dims}, }`;
  header += " ".repeat((64 - ((10 + header.length + 1) % 64)) % 64) + "\n";
  const h = new TextEncoder().encode(header);
  const bytes = new Uint8Array(10 + h.length + data.byteLength);
  bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, h.length & 255, h.length >> 8]);
  bytes.set(h, 10);
  bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + h.length);
  await Deno.writeFile(path, bytes);
  return path;
}

/** 3000 inputs for the bundled CNN ([N, 8, 8, 1]): its NTK would take many minutes. */
const hugeCnn = (dir: string) =>
  npy(`${dir}/huge.npy`, [3000, 8, 8, 1], Float32Array.from({ length: 3000 * 64 }, (_, i) => Math.sin(i)));
/** 100 000 token sequences for embedding_lstm ([N, 5], input_dim 20), with one bad value. */
const hugeIds = (dir: string, at: number, value: number) => {
  const ids = Float32Array.from({ length: 100_000 * 5 }, (_, i) => i % 20);
  ids[at] = value;
  return npy(`${dir}/ids.npy`, [100_000, 5], ids);
};
const EMB = `${FX}/embedding_lstm/model.json`;
const FUN = `${FX}/functional_merge`;

interface Case {
  what: string;
  /** The arguments, given the case's own temp dir (where it may make files first). */
  args: (dir: string) => string[] | Promise<string[]>;
  /** The error line, which must name the flag. */
  message: RegExp;
  env?: Record<string, string>;
}

/** Output flags into the case's dir: nothing may appear there. */
const out = (dir: string) => ["--out", `${dir}/k.npy`, "--plot", `${dir}/k.svg`];

const CASES: Case[] = [
  // ---- flags and their values: refused before tfjs is loaded ----
  {
    what: "an unknown flag",
    args: (d) => ["--outt", `${d}/k.npy`],
    message: /^Unknown flag --outt \(did you mean --out\?\)/,
  },
  {
    what: "an unknown short flag",
    args: (d) => ["-x", ...out(d)],
    message: /^Unknown flag -x: deno task ntk takes --model/,
  },
  {
    what: "a stray argument",
    args: (d) => ["a.npy", ...out(d)],
    message: /^Unexpected argument "a\.npy": .*--x1 a\.npy/,
  },
  { what: "a flag without its value", args: (d) => [...out(d), "--x1"], message: /^--x1 needs a value: --x1 <a\.npy>/ },
  {
    what: "a flag followed by another flag",
    args: (d) => ["--out", "--plot", `${d}/k.svg`],
    message: /^--out needs a value: --out <k\.npy>/,
  },
  {
    what: "a value for a switch",
    args: (d) => ["--full=yes", ...out(d)],
    message: /^--full is a switch and takes no value/,
  },
  {
    what: "a flag given twice",
    args: (d) => ["--method", "jacobian", "--method", "ntkvp", ...out(d)],
    message: /^--method is given twice/,
  },
  {
    what: "an unknown method",
    args: (d) => ["--method", "fastest", ...out(d)],
    message: /^--method "fastest" is not a method: give one of auto, jacobian, ntkvp, structured\.$/,
  },
  {
    what: "an unknown backend",
    args: (d) => ["--backend", "tpu", ...out(d)],
    message: /^--backend "tpu" is not a backend: give one of webgpu, native, wasm, cpu, auto\.$/,
  },
  {
    what: "an unknown FAST_NTK_BACKEND",
    args: (d) => out(d),
    env: { FAST_NTK_BACKEND: "gpu" },
    message: /^FAST_NTK_BACKEND "gpu" is not a backend/,
  },
  {
    what: "a negative --block",
    args: (d) => [...CPU, "--block", "-1/2", ...out(d)],
    message: /^--block "-1\/2" is not a slab: give i\/n with whole numbers 0 ≤ i < n, e\.g\. --block 0\/4\.$/,
  },
  {
    what: "--block i = n",
    args: (d) => [...CPU, "--block", "2/2", ...out(d)],
    message: /^--block "2\/2" is not a slab/,
  },
  { what: "--block without n", args: (d) => [...CPU, "--block=3", ...out(d)], message: /^--block "3" is not a slab/ },
  {
    what: "a zero --budget",
    args: (d) => [...CPU, "--budget", "0", ...out(d)],
    message: /^--budget "0" is not a memory budget: give a positive number of MiB/,
  },
  {
    what: "a negative --budget",
    args: (d) => [...CPU, "--budget", "-5", ...out(d)],
    message: /^--budget "-5" is not a memory budget/,
  },
  {
    what: "--workers 0",
    args: (d) => [...CPU, "--workers", "0", ...out(d)],
    message: /^--workers "0" is not a worker count: give a whole number ≥ 1/,
  },
  { what: "--workers 1.5", args: (d) => [...CPU, "--workers", "1.5", ...out(d)], message: /^--workers "1\.5" is not/ },
  {
    what: "--workers with --block",
    args: (d) => [...CPU, "--workers", "2", "--block", "0/2", ...out(d)],
    message: /^--workers cannot be combined with --block/,
  },
  {
    what: "--spectrum with --block",
    args: (d) => [...CPU, "--spectrum", "--block", "0/2", ...out(d)],
    message: /^--spectrum needs the square kernel of --x1 with itself, so it cannot be combined with --block\.$/,
  },
  {
    what: "--spectrum with --x2",
    args: (d) => [...CPU, "--spectrum", "--x1", `${FUN}/x1.npy`, "--x2", `${FUN}/x2.npy`, ...out(d)],
    message: /^--spectrum .* cannot be combined with --x2\.$/,
  },
  {
    what: "--x2 without --x1",
    args: (d) => [...CPU, "--x2", `${FUN}/x2.npy`, ...out(d)],
    message: /^--x2 needs --x1 as well/,
  },
  // ---- output paths: checked before anything is computed (a huge --x1 would take minutes) ----
  {
    what: "--out into a missing directory",
    args: async (d) => [...CPU, "--x1", await hugeCnn(d), "--out", `${d}/missing/k.npy`],
    message: /^--out \S+\/missing\/k\.npy cannot be written: the directory \S+\/missing does not exist/,
  },
  {
    what: "--plot into a missing directory",
    args: async (d) => [...CPU, "--x1", await hugeCnn(d), "--plot", `${d}/missing/k.svg`],
    message: /^--plot \S+\/missing\/k\.svg cannot be written: the directory/,
  },
  {
    what: "--out naming a directory",
    args: async (d) => [...CPU, "--x1", await hugeCnn(d), "--out", d],
    message: /^--out \S+ cannot be written: it is a directory; give a file path such as \S+\/k\.npy\.$/,
  },
  {
    what: "--out under a file",
    args: async (d) => {
      await Deno.writeTextFile(`${d}/notes.txt`, "");
      return [...CPU, "--x1", await hugeCnn(d), "--out", `${d}/notes.txt/k.npy`];
    },
    message: /^--out \S+ cannot be written: \S+\/notes\.txt is not a directory/,
  },
  {
    what: "--out and --plot on one file",
    args: (d) => [...CPU, "--out", `${d}/k.npy`, "--plot", `${d}/./k.npy`],
    message: /^--plot \S+ is the same file as --out/,
  },
  // ---- input files: missing, unreadable, not .npy, not the model's input ----
  {
    what: "a missing model file",
    args: (d) => [...CPU, "--model", "/nonexistent/model.json", ...out(d)],
    message: /^--model \/nonexistent\/model\.json cannot be read: no such file/,
  },
  {
    what: "a model.json that is no layers model",
    args: async (d) => {
      await Deno.writeTextFile(`${d}/model.json`, "{}");
      return [...CPU, "--model", `${d}/model.json`, ...out(d)];
    },
    message: /^--model \S+model\.json has no modelTopology/,
  },
  {
    what: "an unsupported layer",
    args: async (d) => {
      const json = JSON.parse(await Deno.readTextFile(`${FUN}/model.json`));
      json.modelTopology.config.layers[1].class_name = "FancyAttention";
      await Deno.writeTextFile(`${d}/model.json`, JSON.stringify(json));
      await Deno.copyFile(`${FUN}/weights.bin`, `${d}/weights.bin`);
      return [...CPU, "--model", `${d}/model.json`, "--x1", `${FUN}/x1.npy`, ...out(d)];
    },
    message: /^--model \S+ uses layer class "FancyAttention", which tfjs-layers does not know \(.*registerClass\)\.$/,
  },
  {
    what: "a missing input file",
    args: (d) => [...CPU, "--x1", "/nonexistent/x.npy", ...out(d)],
    message: /^--x1 \/nonexistent\/x\.npy cannot be read: no such file; give a \.npy file\.$/,
  },
  {
    what: "an input that is not .npy",
    args: async (d) => {
      await Deno.writeTextFile(`${d}/x.csv`, "1,2,3\n");
      return [...CPU, "--x1", `${d}/x.csv`, ...out(d)];
    },
    message: /^--x1 \S+x\.csv is not a \.npy file\.$/,
  },
  {
    what: "int64 token ids",
    args: async (d) => [
      ...CPU,
      "--model",
      EMB,
      "--x1",
      await npy(`${d}/ids.npy`, [2, 5], new BigInt64Array(10)),
      ...out(d),
    ],
    message: /^--x1 \S+ids\.npy has dtype '<i8'.*astype\(np\.int32\)/,
  },
  {
    what: "an input shape that does not fit the model",
    args: (d) => [...CPU, "--model", `${FX}/cnn_bn_pool/model.json`, "--x1", `${FUN}/x1.npy`, ...out(d)],
    message: /^--x1 has shape \[3, 4\] but the model takes \[N, 6, 6, 2\] \(N examples along the first axis\)\.$/,
  },
  {
    what: "an --x2 shape that does not fit the model",
    args: async (d) => [...CPU, "--x1", await hugeCnn(d), "--x2", `${FUN}/x2.npy`, ...out(d)],
    message: /^--x2 has shape \[\d+, 4\] but the model takes \[N, 8, 8, 1\]/,
  },
  {
    what: "float token ids",
    args: async (d) => [...CPU, "--model", EMB, "--x1", await hugeIds(d, 7, 1.5), ...out(d)],
    message: /^--x1 holds 1\.5 at \[1, 2\], but the model's input takes whole-number token ids; give integers\.$/,
  },
  {
    what: "a token id beyond the embedding",
    args: async (d) => [...CPU, "--model", EMB, "--x1", await hugeIds(d, 499_999, 20), ...out(d)],
    message: /^--x1 holds token id 20 at \[99999, 4\], outside the 0 … 19 that layer "\S+" \(Embedding, input_dim 20\)/,
  },
  {
    what: "NaN in the input",
    args: async (d) => {
      const x = Float32Array.from({ length: 3 * 4 }, (_, i) => i);
      x[5] = NaN;
      return [...CPU, "--model", `${FUN}/model.json`, "--x1", await npy(`${d}/x.npy`, [3, 4], x), ...out(d)];
    },
    message: /^--x1 holds NaN at \[1, 1\]; give finite values\.$/,
  },
  {
    what: "an input with no examples",
    args: async (d) => [
      ...CPU,
      "--model",
      `${FUN}/model.json`,
      "--x1",
      await npy(`${d}/x.npy`, [0, 4], new Float32Array(0)),
      ...out(d),
    ],
    message: /^--x1 holds no examples \(shape \[0, 4\]\); give at least one\.$/,
  },
  {
    what: "a --budget below one example",
    args: async (d) => [...CPU, "--x1", await hugeCnn(d), "--budget", "0.0001", ...out(d)],
    message:
      /^--budget 0\.0001 MiB \(105 B\) is too small: one example with method "\w+" needs about [\d.]+ KiB; give --budget 1 or more/,
  },
  // ---- merge ----
  {
    what: "merge without --out",
    args: () => ["merge", `${FUN}/x1.npy`],
    message: /^merge needs --out with the merged kernel's path, e\.g\. deno task ntk merge --out k\.npy/,
  },
  {
    what: "merge without slabs",
    args: (d) => ["merge", "--out", `${d}/k.npy`],
    message: /^merge needs the slab \.npy files/,
  },
  {
    what: "merge into a missing directory",
    args: (d) => ["merge", "--out", `${d}/missing/k.npy`, `${FUN}/x1.npy`],
    message: /^--out \S+ cannot be written: the directory \S+ does not exist/,
  },
  {
    what: "merge of a missing slab",
    args: (d) => ["merge", "--out", `${d}/k.npy`, `${FUN}/x1.npy`, `${d}/s1.npy`],
    message: /^slab \S+s1\.npy cannot be read: no such file/,
  },
  {
    what: "merge of slabs that disagree",
    args: (d) => ["merge", "--out", `${d}/k.npy`, `${FUN}/x1.npy`, `${FX}/embedding_lstm/x1.npy`],
    message: /^slab \S+embedding_lstm\/x1\.npy has shape \[3, 5\] but slab \S+ has \[3, 4\]; slabs must agree/,
  },
  {
    what: "merge with a flag of the NTK command",
    args: (d) => ["merge", "--x1", "a.npy", "--out", `${d}/k.npy`],
    message: /^Unknown flag --x1: merge takes --out, --dir and -h\/--help\.$/,
  },
];

/** Files under a directory, recursively (paths relative to it). */
async function files(dir: string, under = ""): Promise<string[]> {
  const found: string[] = [];
  for await (const e of Deno.readDir(`${dir}/${under}`)) {
    const rel = under ? `${under}/${e.name}` : e.name;
    if (e.isDirectory) found.push(rel + "/", ...(await files(dir, rel)));
    else found.push(rel);
  }
  return found.sort();
}

async function runCli(args: string[], env: Record<string, string> = {}) {
  const r = await new Deno.Command(Deno.execPath(), {
    // node_modules is in place (this test imports tfjs): "manual" skips re-checking it, which
    // costs each subprocess ~0.5 s and a lock shared with the others; --quiet keeps Deno's own
    // diagnostics off stderr.
    args: ["run", "--quiet", "--node-modules-dir=manual", "-A", `${root}src/cli.ts`, ...args],
    cwd: root,
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: r.code, stdout: text(r.stdout), stderr: text(r.stderr) };
}

/** Runs every case, at most `lanes` at a time; each test awaits its own result. */
function runAll(cases: Case[], lanes: number) {
  let free = lanes;
  const waiting: (() => void)[] = [];
  const run = async (c: Case) => {
    if (free > 0) free--;
    else await new Promise<void>((go) => waiting.push(go));
    const dir = await Deno.makeTempDir({ prefix: "ntk_cli_bad_" });
    try {
      const args = await c.args(dir);
      const before = await files(dir);
      const r = await runCli(args, c.env);
      return { ...r, before, after: await files(dir) };
    } finally {
      await Deno.remove(dir, { recursive: true });
      const next = waiting.shift();
      if (next) next();
      else free++;
    }
  };
  return new Map(cases.map((c) => [c, run(c)]));
}

let results: ReturnType<typeof runAll> | null = null;

Deno.test("the table holds at least 25 bad invocations", () => {
  assert.ok(CASES.length >= 25, `${CASES.length} cases`);
});

for (const c of CASES) {
  Deno.test(`ntk CLI rejects ${c.what}: one line naming the flag, exit 1, no file`, opts, async () => {
    results ??= runAll(CASES, LANES);
    const r = await results.get(c)!;
    assert.equal(r.code, 1, r.stderr);
    const lines = r.stderr.trim().split("\n").filter((l) => !/XDG_RUNTIME_DIR/.test(l));
    // One line, the error: no stage lines before it, no stack trace after it.
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], /^error: /);
    assert.match(lines[0].slice("error: ".length), c.message);
    // Nothing written: no output, no .tmp (the file list is what the case made itself).
    assert.deepEqual(r.after, r.before);
  });
}

Deno.test("ntk CLI -h and --help print every flag and the merge subcommand", async () => {
  const flags = ["model", "x1", "x2", "method", "full", "out", "backend", "plot", "spectrum", "block", "budget"]
    .concat(["workers", "help"]);
  for (const args of [["-h"], ["--help"], ["--method", "jacobian", "-h"]]) {
    const r = await runCli(args);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), USAGE);
    for (const f of flags) assert.match(r.stdout, new RegExp(`--${f}\\b`), f);
    assert.match(r.stdout, /-h, --help/);
    assert.match(r.stdout, /merge --out <k\.npy> <slab\.npy>/);
    for (const m of CLI_METHODS) assert.ok(r.stdout.includes(m), m);
  }
  const m = await runCli(["merge", "--help"]);
  assert.equal(m.code, 0, m.stderr);
  assert.match(m.stdout, /^Usage: deno task ntk merge --out k\.npy/);
});

Deno.test("the CLI's lists of methods and backends are the library's", () => {
  assert.deepEqual([...CLI_METHODS], [...METHOD_NAMES]);
  assert.deepEqual([...CLI_BACKENDS], [...BACKENDS]);
});

Deno.test("sizes print with a unit and three significant digits", () => {
  assert.equal(formatBytes(0.0001 * 2 ** 20), "105 B");
  assert.equal(formatBytes(146_000), "143 KiB");
  assert.equal(formatBytes(1.27 * 2 ** 20), "1.27 MiB");
  assert.equal(formatBytes(2 * 2 ** 30), "2 GiB");
});

Deno.test("the --workers note: when the pool cannot pay for its start-up, and never when it can", () => {
  const base: WorkersCase = {
    workers: 2,
    cores: 2,
    backend: "wasm",
    method: "jacobian",
    splittable: true,
    examples: 16,
    sharesParams: true,
    estimateMs: 40,
    startupMs: 700,
  };
  assert.match(
    workersNote(base)!,
    /^--workers 2 is expected to be slower than one process: the kernel is estimated at 40 ms/,
  );
  // The README's measured 1.71× (Jacobian contraction, W=256, O=16, N=16: 8.5 s in one process).
  assert.equal(workersNote({ ...base, estimateMs: 8500 }), null);
  assert.match(workersNote({ ...base, estimateMs: 8500, backend: "webgpu" })!, /share one GPU/);
  assert.match(workersNote({ ...base, estimateMs: 1600, workers: 8 })!, /this machine has 2 cores/);
  assert.match(workersNote({ ...base, method: "structured" })!, /has no effect: structured derivatives/);
  assert.match(workersNote({ ...base, sharesParams: false, splittable: false })!, /examples interact/);
  assert.match(workersNote({ ...base, sharesParams: false, examples: 1 })!, /one example/);
});
