/**
 * What importing mod.ts does to tfjs, each case in a fresh `deno run` process with a small
 * script: the default backend is ready, a backend set before is kept, tfjs's own choice never
 * falls to WebGPU, detection never prompts, and a second tfjs-core is a named error.
 */
import assert from "node:assert/strict";
import { detectBackend } from "../mod.ts";
import { nativeAvailable } from "../src/core/native/backend.ts";

const ROOT = new URL("../", import.meta.url);
const MOD = new URL("mod.ts", ROOT).href;

/** Runs `code` as a script inside the repository (so its deno.json maps the imports). */
async function script(code: string, flags: string[], env: Record<string, string> = {}) {
  const dir = await Deno.makeTempDir({ dir: ROOT.pathname, prefix: ".backend-test-" });
  try {
    await Deno.writeTextFile(`${dir}/main.ts`, code);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-prompt", ...flags, `${dir}/main.ts`],
      cwd: ROOT.pathname,
      env: { NO_COLOR: "1", ...env },
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
    }).output();
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout).trim(), stderr: dec.decode(out.stderr) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** What `auto` picks in a process without --allow-ffi: this one's choice, wasm instead of native. */
async function detectedWithoutFfi(): Promise<string> {
  const d = await detectBackend();
  return d === "native" ? "wasm" : d;
}

const REPORT = `
// deno-lint-ignore no-explicit-any
const engine = tf.engine() as any;
const before = engine.backendName;
const t = tf.randomNormal([2, 3]); // the first tf.* call right after the import
await tf.ready();
console.log(JSON.stringify({ before, backend: tf.getBackend(), shape: t.shape, sorted: engine.getSortedBackends() }));
`;

Deno.test("importing mod.ts leaves tfjs ready on the default backend; tf.ready() keeps it", async () => {
  const r = await script(`import * as tf from "@tensorflow/tfjs";\nimport "${MOD}";\n${REPORT}`, ["--allow-read"]);
  assert.equal(r.code, 0, r.stderr);
  const got = JSON.parse(r.stdout);
  const want = await detectedWithoutFfi();
  assert.equal(got.before, want, "initialized by the import itself");
  assert.equal(got.backend, want);
  assert.deepEqual(got.shape, [2, 3]);
  // tfjs's own order (tf.ready() with no backend, or after one fails): WebGPU comes last.
  assert.deepEqual(got.sorted, ["wasm", "cpu", "webgpu", "native"]);
  assert.doesNotMatch(r.stderr, /not yet been initialized|Requires|NotCapable/);
});

Deno.test("importing mod.ts keeps a backend the user set before the import", async () => {
  const r = await script(
    `import * as tf from "@tensorflow/tfjs";\nawait tf.setBackend("cpu");\nawait import("${MOD}");\n${REPORT}`,
    ["--allow-read"],
  );
  assert.equal(r.code, 0, r.stderr);
  const got = JSON.parse(r.stdout);
  assert.equal(got.before, "cpu");
  assert.equal(got.backend, "cpu");
});

Deno.test("without any permission the import never prompts: quietly the CPU backend", async () => {
  const r = await script(`import * as tf from "@tensorflow/tfjs";\nimport "${MOD}";\n${REPORT}`, [], {
    FAST_NTK_BACKEND: "wasm",
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).backend, "cpu");
  assert.doesNotMatch(r.stderr, /Requires|NotCapable|prompt|Aborted/);
});

Deno.test("FAST_NTK_BACKEND is read only with --allow-env", async () => {
  const code = `import * as tf from "@tensorflow/tfjs";\nimport "${MOD}";\n${REPORT}`;
  const allowed = await script(code, ["--allow-read", "--allow-env=FAST_NTK_BACKEND,XDG_RUNTIME_DIR"], {
    FAST_NTK_BACKEND: "cpu",
  });
  assert.equal(allowed.code, 0, allowed.stderr);
  assert.equal(JSON.parse(allowed.stdout).backend, "cpu");
  const denied = await script(code, ["--allow-read"], { FAST_NTK_BACKEND: "cpu" });
  assert.equal(denied.code, 0, denied.stderr);
  assert.equal(JSON.parse(denied.stdout).backend, await detectedWithoutFfi());
});

const NTK_REPORT = `
import { empiricalNtkFn } from "${MOD}";
import * as tf from "@tensorflow/tfjs";
const f = (p: Record<string, tf.Tensor>, x: tf.Tensor | tf.Tensor[]) => tf.matMul(x as tf.Tensor, p.w);
const x = tf.tensor2d([[1, 2], [3, 4]]);
const { kernel, info } = await empiricalNtkFn(f).run(x, null, { w: tf.tensor2d([[1, 2], [3, 4]]) });
console.log(JSON.stringify({ backend: info.backend, k: Array.from(await kernel.data()) }));
`;

Deno.test("every permission but --allow-ffi: auto is wasm (not native), quietly, with no prompt", async () => {
  const flags = ["--allow-read", "--allow-write", "--allow-env", "--allow-net", "--allow-run", "--allow-sys"];
  const r = await script(NTK_REPORT, flags);
  assert.equal(r.code, 0, r.stderr);
  const got = JSON.parse(r.stdout);
  assert.equal(got.backend, await detectedWithoutFfi());
  assert.notEqual(got.backend, "native");
  assert.deepEqual(got.k, [5, 11, 11, 25]); // K = x·xᵀ: the mean over outputs of x_i·x_j
  assert.doesNotMatch(r.stderr, /Requires|NotCapable|prompt|Aborted|native|ffi/i);
});

Deno.test({
  name: "with --allow-ffi and a system BLAS, native runs when asked for (or by auto where on) and info.backend says so",
  ignore: !nativeAvailable(),
  fn: async () => {
    const asked = await script(NTK_REPORT, ["--allow-read", "--allow-ffi", "--allow-env"], {
      FAST_NTK_BACKEND: "native",
    });
    assert.equal(asked.code, 0, asked.stderr);
    assert.deepEqual(JSON.parse(asked.stdout), { backend: "native", k: [5, 11, 11, 25] });
    const auto = await script(NTK_REPORT, ["--allow-read", "--allow-ffi"]);
    assert.equal(auto.code, 0, auto.stderr);
    assert.equal(JSON.parse(auto.stdout).backend, await detectBackend());
  },
});

Deno.test("asking for native without --allow-ffi: a sentence saying what it needs", async () => {
  const r = await script(NTK_REPORT, ["--allow-read", "--allow-env"], { FAST_NTK_BACKEND: "native" });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /Cannot initialize backend "native": it needs --allow-ffi and a system BLAS/);
  assert.doesNotMatch(r.stderr, /prompt|Aborted/);
});

Deno.test("another tfjs-core loaded before fast-ntk: TfjsVersionError naming both versions", async () => {
  // A user's project outside the repository whose own tfjs-core (here a copy of the bundle under a
  // path saying 4.0.0-other) is loaded first and made the process's engine; offline, with
  // fast-ntk's pinned npm versions.
  const dir = await Deno.makeTempDir({ prefix: "fast-ntk-core-" });
  try {
    const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
    await Deno.writeTextFile(
      `${dir}/deno.json`,
      JSON.stringify({ imports: { ...config.imports, [config.name]: MOD } }),
    );
    await Deno.copyFile(new URL("deno.lock", ROOT), `${dir}/deno.lock`);
    const core = new URL(import.meta.resolve("@tensorflow/tfjs-core"));
    await Deno.mkdir(`${dir}/vendor/tfjs-core@4.0.0-other`, { recursive: true });
    await Deno.copyFile(new URL("tf-core.fesm.js", core), `${dir}/vendor/tfjs-core@4.0.0-other/tf-core.fesm.js`);
    await Deno.writeTextFile(
      `${dir}/main.ts`,
      `import { createRequire } from "node:module";
// deno-lint-ignore no-explicit-any
(globalThis as any).require = createRequire(import.meta.url); // the bundle's lazy require()s
await import("./vendor/tfjs-core@4.0.0-other/tf-core.fesm.js");
try {
  await import("@fast-ntk/fast-ntk");
  console.log("no error");
} catch (e) {
  console.log(JSON.stringify({ name: (e as Error).name, message: (e as Error).message }));
}
`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--cached-only", "--no-prompt", "--allow-read", "main.ts"],
      cwd: dir,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout).trim();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const got = JSON.parse(stdout.split("\n").at(-1)!);
    assert.equal(got.name, "TfjsVersionError");
    assert.match(got.message, /tfjs-core 4\.22\.0 but this process also loaded tfjs-core 4\.0\.0-other/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
