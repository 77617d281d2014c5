/**
 * The README's shell blocks: every command names a task of deno.json and the pinned Deno; the
 * cheap ones run (`deno task ntk` on the bundled model); the Kubernetes Job, parsed as YAML, has
 * fields that agree with its command, which runs once per index on the bundled model.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { readNpy } from "../../mod.ts";
import { relError } from "../_ref.ts";
import { fences, README, ROOT, ROOT_PATH } from "./_snippets.ts";

const tasks = JSON.parse(Deno.readTextFileSync(new URL("deno.json", ROOT))).tasks as Record<string, string>;
const pinned = JSON.parse(Deno.readTextFileSync(new URL("tools/package.json", ROOT))).dependencies.deno as string;

const deno = (args: string[], cwd = ROOT_PATH) => denoWith(args, cwd, {});

async function denoWith(args: string[], cwd: string, env: Record<string, string>) {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

const commands = fences(README, "sh").flatMap((b) =>
  b.split("\n").map((l) => l.replace(/\s+#.*$/, "").trim()).filter((l) => l && !l.startsWith("#"))
);

Deno.test("README sh blocks: each command is a deno.json task, through the pinned Deno", () => {
  assert.ok(commands.length >= 4, `${commands.length} commands`);
  for (const c of commands) {
    const m = c.match(/^(?:npx -y deno@(\S+) )?(?:deno )?task (\S+)$/);
    assert.ok(m, `unexpected command ${c}`);
    if (m[1]) assert.equal(m[1], pinned, `${c}: the Deno version CI pins`);
    assert.ok(m[2] in tasks, `${c}: no task "${m[2]}" in deno.json`);
  }
  assert.equal(Deno.version.deno, pinned, "the suite runs on the pinned Deno");
});

Deno.test("README sh: `deno task ntk` prints the bundled CNN's 8 × 8 NTK", async () => {
  assert.ok(commands.includes("deno task ntk"));
  const r = await deno(["task", "ntk"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /NTK \[8, 8\] of the bundled example CNN/);
  const rows = r.stdout.trim().split("\n").slice(-8).map((l) => l.trim().split(/\s+/).map(Number));
  assert.equal(rows.length, 8);
  rows.forEach((row, i) => {
    assert.equal(row.length, 8);
    row.forEach((v, j) => assert.ok(Math.abs(v - rows[j][i]) <= 1e-3, "symmetric"));
  });
});

Deno.test("README's Kubernetes Job: parsed as YAML, its fields agree, and its command runs once per index", async () => {
  const [text] = fences(README, "yaml");
  assert.ok(text, "a yaml block");
  // deno-lint-ignore no-explicit-any
  const job = parse(text) as any;
  assert.equal(job.apiVersion, "batch/v1");
  assert.equal(job.kind, "Job");
  assert.equal(job.spec.completionMode, "Indexed");
  const pod = job.spec.template.spec;
  assert.equal(pod.restartPolicy, "Never");
  assert.equal(pod.containers.length, 1);
  assert.equal(pod.containers[0].image, `denoland/deno:${pinned}`);
  const [shell, flag, command] = pod.containers[0].command as string[];
  assert.deepEqual([shell, flag], ["sh", "-c"]);
  assert.match(command, /^deno task ntk gram .*--index-from-env/);
  const blocks = Number(command.match(/--blocks (\d+)/)![1]);
  assert.ok(!command.includes("--x2"), "x with itself");
  assert.equal(job.spec.completions, (blocks * (blocks + 1)) / 2, "one pod per block on and above the diagonal");
  assert.ok(job.spec.parallelism >= 1 && job.spec.parallelism <= job.spec.completions);
  // Run it once per JOB_COMPLETION_INDEX, all at once as the pods would, in a copy of the layout it expects.
  const dir = await Deno.makeTempDir({ prefix: "fast-ntk-job-" });
  try {
    await Deno.mkdir(`${dir}/m`);
    for (const f of ["model.json", "weights.bin"]) {
      await Deno.copyFile(new URL(`examples/cnn/${f}`, ROOT), `${dir}/m/${f}`);
    }
    await Deno.copyFile(new URL("examples/cnn/x.npy", ROOT), `${dir}/x.npy`);
    const cli = new URL(tasks.ntk.split(" ").at(-1)!, ROOT).pathname;
    const args = command.split(" ").slice(3); // after "deno task ntk"
    const runs = await Promise.all(
      Array.from(
        { length: job.spec.completions },
        (_, k) => denoWith(["run", "-A", cli, ...args], dir, { JOB_COMPLETION_INDEX: String(k) }),
      ),
    );
    runs.forEach((r, k) => {
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^block ${k} \\(.*\\): computed in`, "m"), `index ${k} computed its block`);
    });
    const merged = await deno(["run", "-A", cli, "merge", "--dir", "out", "--out", "k.npy"], dir);
    assert.equal(merged.code, 0, merged.stderr);
    const single = await deno(["run", "-A", cli, "--x1", "x.npy", "--model", "m/model.json", "--out", "ref.npy"], dir);
    assert.equal(single.code, 0, single.stderr);
    const [k, ref] = [await readNpy(`${dir}/k.npy`), await readNpy(`${dir}/ref.npy`)];
    assert.deepEqual(k.shape, [8, 8]);
    // Float32 sums of the same products in other blocks.
    assert.ok(relError(await k.data(), await ref.data()) <= 1e-5);
    k.dispose();
    ref.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
