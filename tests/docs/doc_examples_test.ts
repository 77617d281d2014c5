/**
 * Every ts block of README.md and every `@example` of the public API runs as written: each is
 * written into .doctest/ (inside the repository, so "@fast-ntk/fast-ntk" maps to ./mod.ts as a
 * user's deno.json maps it) and run by `deno run` with exactly the flags on its first line.
 */
import assert from "node:assert/strict";
import { exampleSnippets, exportedFiles, README, readmeSnippets, ROOT, ROOT_PATH, type Snippet } from "./_snippets.ts";

const DIR = new URL(".doctest/", ROOT);

async function run(s: Snippet, file: URL) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", ...s.flags, file.pathname],
    cwd: ROOT_PATH,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, log: dec.decode(out.stdout) + dec.decode(out.stderr) };
}

Deno.test("README ts blocks and @examples run as written, with their own permission flags", async (t) => {
  const snippets = [...readmeSnippets(), ...exampleSnippets()];
  // Counted independently of the extraction: a block the extraction missed fails here.
  const readmeBlocks = README.split("\n").filter((l) => l === "```ts").length;
  const examples = exportedFiles()
    .map((f) => Deno.readTextFileSync(new URL(f, ROOT)).split("@example").length - 1)
    .reduce((a, b) => a + b, 0);
  assert.ok(readmeBlocks >= 2 && examples >= 10, `found ${readmeBlocks} README blocks, ${examples} @examples`);

  Deno.mkdirSync(DIR, { recursive: true });
  const files = snippets.map((s) => {
    const file = new URL(s.name.replace(/[^A-Za-z0-9]+/g, "_") + ".ts", DIR);
    Deno.writeTextFileSync(file, s.code);
    return file;
  });
  try {
    // Type-checked together, as a user's editor would.
    const check = await new Deno.Command(Deno.execPath(), {
      args: ["check", ...files.map((f) => f.pathname)],
      cwd: ROOT_PATH,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(check.code, 0, new TextDecoder().decode(check.stderr));
    // Two at a time: each is a process with its own tfjs.
    const results: { code: number; log: string }[] = new Array(snippets.length);
    let next = 0;
    await Promise.all([0, 1].map(async () => {
      for (let i; (i = next++) < snippets.length;) results[i] = await run(snippets[i], files[i]);
    }));
    const ran = { readme: 0, examples: 0 };
    for (const [i, s] of snippets.entries()) {
      await t.step(`${s.name} (deno run ${s.flags.join(" ")})`, () => {
        assert.equal(results[i].code, 0, `${s.name} failed:\n${s.code}\n---\n${results[i].log}`);
      });
      if (s.name.startsWith("README")) ran.readme++;
      else ran.examples++;
    }
    assert.equal(ran.readme, readmeBlocks, "every README ts block ran");
    assert.equal(ran.examples, examples, "every @example ran");
  } finally {
    Deno.removeSync(DIR, { recursive: true });
  }
});
