/**
 * fast-ntk as another project uses it: the README's "Use it in your project" import map is what
 * deno.json implies, and a project outside the repository with exactly those lines imports
 * fast-ntk by path and computes an NTK, offline (--cached-only).
 */
import assert from "node:assert/strict";
import { fences, README, ROOT } from "./_snippets.ts";

const config = JSON.parse(Deno.readTextFileSync(new URL("deno.json", ROOT)));
const section = README.slice(README.indexOf("## Use it in your project"), README.indexOf("\n## Use\n"));

/** The bare specifiers the published files import (test-only packages such as fast-check are not a user's). */
function publishedSpecifiers(): Set<string> {
  const found = new Set<string>();
  const visit = (url: URL) => {
    const stat = Deno.statSync(url);
    if (stat.isDirectory) {
      for (const e of Deno.readDirSync(url)) visit(new URL(e.isDirectory ? `${e.name}/` : e.name, url));
    } else if (url.pathname.endsWith(".ts")) {
      const text = Deno.readTextFileSync(url);
      for (const m of text.matchAll(/(?:from|import)\s*\(?\s*"([^".][^"]*)"/g)) found.add(m[1]);
    }
  };
  for (const p of config.publish.include as string[]) visit(new URL(p, ROOT));
  return found;
}

function expectedImports(): Record<string, string> {
  const used = publishedSpecifiers();
  const imports: Record<string, string> = { [config.name]: "../fast-ntk/mod.ts" };
  for (const [k, v] of Object.entries(config.imports as Record<string, string>)) {
    if (k !== config.name && [...used].some((s) => s === k || s.startsWith(`${k}/`))) imports[k] = v;
  }
  return imports;
}

Deno.test("README's import-map lines are those deno.json implies", () => {
  const blocks = fences(section, "json");
  assert.equal(blocks.length, 1);
  assert.deepEqual(
    JSON.parse(blocks[0]),
    { imports: expectedImports() },
    `paste into README:\n${JSON.stringify({ imports: expectedImports() }, null, 2)}`,
  );
  assert.equal(config.imports[config.name], "./mod.ts", "the package name maps to ./mod.ts, as in a user's project");
  assert.deepEqual(config.exports, { ".": "./mod.ts", "./cli": "./src/cli.ts" });
  assert.match(config.version, /^0\.\d+\.\d+$/);
  assert.ok(section.includes(`\`${config.name}\` ${config.version}`));
});

Deno.test("the publish list holds what a user needs, and the license is Apache-2.0", () => {
  const include: string[] = config.publish.include;
  for (const p of ["mod.ts", "src/", "adapters/", "rules/", "examples/cnn/", "README.md", "LICENSE"]) {
    assert.ok(include.includes(p), p);
  }
  for (const p of ["tests/", "bench/", "tools/", "deno.lock"]) assert.ok(!include.some((i) => i.startsWith(p)), p);
  const license = Deno.readTextFileSync(new URL("LICENSE", ROOT));
  assert.match(license, /Apache License\s+Version 2\.0, January 2004/);
  assert.ok(license.length > 10000, "the full text");
});

Deno.test("a project outside the repository imports fast-ntk with exactly those lines and computes an NTK", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fast-ntk-user-" });
  try {
    const imports = JSON.parse(fences(section, "json")[0]).imports as Record<string, string>;
    imports[config.name] = new URL("mod.ts", ROOT).href;
    // Offline: npm packages from the cache, at the versions fast-ntk's lock file pins (a fresh
    // resolution could pick newer transitive versions that the offline cache lacks).
    await Deno.copyFile(new URL("deno.lock", ROOT), `${dir}/deno.lock`);
    await Deno.writeTextFile(`${dir}/deno.json`, JSON.stringify({ imports }, null, 2));
    // A linear model f = x·W: its NTK, mean over the outputs, is x1·x2ᵀ exactly.
    await Deno.writeTextFile(
      `${dir}/main.ts`,
      `import * as tf from "@tensorflow/tfjs";
import { empiricalNtkFn } from "@fast-ntk/fast-ntk";
const f = (p: Record<string, tf.Tensor>, x: tf.Tensor | tf.Tensor[]) => tf.matMul(x as tf.Tensor, p.w);
const x1 = tf.tensor2d([[1, 2, 3], [0, -1, 2]]), x2 = tf.tensor2d([[2, 0, 1], [1, 1, 1], [0, 3, -2]]);
const k = await empiricalNtkFn(f)(x1, x2, { w: tf.randomNormal([3, 4]) });
console.log(JSON.stringify({ backend: tf.getBackend(), k: await k.array() }));
`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--cached-only", "--no-prompt", "--allow-read", "main.ts"],
      cwd: dir,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    const { backend, k } = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!);
    assert.equal(backend, "wasm");
    const want = [[5, 6, 0], [2, 1, -7]]; // x1·x2ᵀ by hand
    k.forEach((row: number[], i: number) =>
      row.forEach((v, j) => assert.ok(Math.abs(v - want[i][j]) <= 1e-5 * 8, `${v}`))
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno publish --dry-run passes offline and publishes only what a user needs", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["publish", "--dry-run", "--allow-dirty"],
    cwd: new URL(".", ROOT).pathname,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const log = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, log);
  assert.match(log, /Success Dry run complete/);
  const root = new URL(".", ROOT).href;
  const files = [...log.matchAll(/^\s+(file:\/\/\S+)/gm)].map((m) => m[1].slice(root.length));
  for (const f of ["mod.ts", "LICENSE", "README.md", "src/cli.ts", "rules/mod.ts", "examples/cnn/model.json"]) {
    assert.ok(files.includes(f), `${f} is published`);
  }
  for (const f of files) assert.doesNotMatch(f, /^(tests|bench|tools|lab|node_modules)\/|^deno\.lock$|^\.doctest/, f);
});
