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

const ONE_TEST = "deno test --allow-read tests/docs/package_test.ts --filter license";

async function ci(dir: string, command = ONE_TEST) {
  const out = await new Deno.Command("bash", {
    args: [".ci/run"],
    cwd: dir,
    env: {
      NO_COLOR: "1",
      CI_TEST_COMMAND: command,
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

Deno.test("ci: a test process that aborts after reporting all passed is run again (twice at most); a third abort fails", async () => {
  const dir = await copyRepo();
  try {
    // A test command that prints a passing summary, then aborts (SIGABRT, status 134) the first
    // `n` times it runs, counted in a file.
    const script = async (n: number) => {
      await Deno.writeTextFile(
        `${dir}/fake_suite.sh`,
        `c=$(cat ${dir}/.count 2>/dev/null || echo 0); echo $((c + 1)) > ${dir}/.count\n` +
          `echo "ok | 1 passed | 0 failed (1ms)"\n[ "$c" -ge ${n} ] || kill -ABRT $$\n`,
      );
      return `bash ${dir}/fake_suite.sh`;
    };
    const once = await ci(dir, await script(1));
    assert.equal(once.last, "4 passed, 0 failed", once.stdout);
    assert.equal(once.code, 0);
    assert.match(once.stdout, /after reporting every test passed; running the suite again \(1\/2\)/);
    await Deno.remove(`${dir}/.count`);
    const thrice = await ci(dir, await script(3));
    assert.equal(thrice.last, "4 passed, 1 failed", thrice.stdout);
    assert.notEqual(thrice.code, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
