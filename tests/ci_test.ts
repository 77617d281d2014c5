/**
 * .ci/run's closing line counts each static check (deno fmt --check, deno lint, deno doc --lint
 * mod.ts) as a test: run on a copy of the repository with a one-test command, clean and with a
 * misformatted file.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url).pathname;

async function copyRepo(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "fast-ntk-ci-" });
  for await (const e of Deno.readDir(ROOT)) {
    if ([".git", ".doctest"].includes(e.name) || e.name.startsWith(".backend-test-")) continue;
    if (e.name === "node_modules") await Deno.symlink(`${ROOT}${e.name}`, `${dir}/${e.name}`);
    else if (e.name === "tools") {
      // .ci/run installs Deno into tools/ unless there: this Deno.
      await Deno.mkdir(`${dir}/tools/node_modules/.bin`, { recursive: true });
      await Deno.copyFile(`${ROOT}tools/package.json`, `${dir}/tools/package.json`);
      await Deno.symlink(Deno.execPath(), `${dir}/tools/node_modules/.bin/deno`);
    } else {
      const cp = await new Deno.Command("cp", { args: ["-r", `${ROOT}${e.name}`, `${dir}/`] }).output();
      assert.equal(cp.code, 0);
    }
  }
  return dir;
}

async function ci(dir: string) {
  const out = await new Deno.Command("bash", {
    args: [".ci/run"],
    cwd: dir,
    env: {
      NO_COLOR: "1",
      CI_TEST_COMMAND: "deno test --allow-read tests/docs/package_test.ts --filter license",
      PATH: `${Deno.execPath().replace(/\/[^/]+$/, "")}:${Deno.env.get("PATH") ?? ""}`,
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  const last = stdout.split("\n").filter((l) => /^\d+ passed, \d+ failed$/.test(l)).at(-1);
  return { code: out.code, last, stdout };
}

Deno.test("ci: static checks count as tests; a misformatted file fails the run", async () => {
  const dir = await copyRepo();
  try {
    const clean = await ci(dir);
    assert.equal(clean.last, "4 passed, 0 failed", clean.stdout);
    assert.equal(clean.code, 0);
    await Deno.writeTextFile(`${dir}/src/_misformatted.ts`, "export const x = {a:1}\n");
    const bad = await ci(dir);
    assert.equal(bad.last, "3 passed, 1 failed", bad.stdout);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stdout, /FAILED: deno fmt --check/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
