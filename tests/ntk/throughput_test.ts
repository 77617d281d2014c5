// AUTO's speed model costs a user nothing on the first call: a fresh process answers with the
// shipped default (or the speed kept in the cache directory), never measuring and never asking
// for a permission; a measurement is kept where writing is already allowed.
import assert from "node:assert/strict";

const probe = new URL("./_throughput_probe.ts", import.meta.url).pathname;

async function run(flags: string[], env: Record<string, string>, measure: boolean) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", ...flags, probe, ...(measure ? ["measure"] : [])],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return JSON.parse(text.trim().split("\n").at(-1)!);
}

const SHIPPED_WASM = { gflops: 20, bandwidth: 0.46, launchMs: 0.01 };

Deno.test("a fresh process prices with the shipped wasm speed, then keeps its measurement in the cache directory", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const env = { FAST_NTK_CACHE_DIR: dir };
    const allow = ["--allow-read", `--allow-write=${dir}`, "--allow-env"];
    const first = await run(allow, env, true);
    assert.deepEqual(first.first, SHIPPED_WASM);
    assert.equal(first.measuredBefore, false);
    const kept = JSON.parse(await Deno.readTextFile(`${dir}/throughput-wasm.json`));
    assert.deepEqual(kept, first.measured);
    assert.ok(kept.gflops > 0 && kept.bandwidth > 0 && kept.launchMs > 0);
    // The next process starts from the kept measurement.
    const second = await run(allow, env, false);
    assert.deepEqual(second.first, kept);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("without env or write permission: the shipped speed, no prompt, no file; a corrupt cache is ignored", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const env = { FAST_NTK_CACHE_DIR: dir };
    const noEnv = await run(["--allow-read"], env, true);
    assert.deepEqual(noEnv.first, SHIPPED_WASM);
    const noWrite = await run(["--allow-read", "--allow-env"], env, true);
    assert.deepEqual(noWrite.first, SHIPPED_WASM);
    assert.deepEqual([...Deno.readDirSync(dir)], []);
    await Deno.writeTextFile(`${dir}/throughput-wasm.json`, '{"gflops": -1, "bandwidth": "fast"}');
    const corrupt = await run(["--allow-read", "--allow-env"], env, false);
    assert.deepEqual(corrupt.first, SHIPPED_WASM);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a new measurement keeps each figure at its best against the kept one (a loaded moment does not stick)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const env = { FAST_NTK_CACHE_DIR: dir };
    const allow = ["--allow-read", `--allow-write=${dir}`, "--allow-env"];
    // Kept from a fast moment: a matMul no measurement here reaches, a transpose none is slower than.
    const kept = { gflops: 1e6, bandwidth: 1e-6, launchMs: 1e-9 };
    await Deno.writeTextFile(`${dir}/throughput-wasm.json`, JSON.stringify(kept));
    const r = await run(allow, env, true);
    const now = JSON.parse(await Deno.readTextFile(`${dir}/throughput-wasm.json`));
    assert.equal(now.gflops, 1e6);
    assert.equal(now.launchMs, 1e-9);
    assert.ok(now.bandwidth > 1e-6, `bandwidth ${now.bandwidth}`);
    assert.deepEqual(r.measured, now);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
