/**
 * The README's shell blocks: every command names a task of deno.json and the pinned Deno; the
 * cheap ones run (`deno task ntk` on the bundled model); the Kubernetes Job's command runs for one
 * index on the bundled model, and the Job's fields agree with it.
 */
import assert from "node:assert/strict";
import { readNpy } from "../../mod.ts";
import { fences, README, ROOT, ROOT_PATH } from "./_snippets.ts";

const tasks = JSON.parse(Deno.readTextFileSync(new URL("deno.json", ROOT))).tasks as Record<string, string>;
const pinned = JSON.parse(Deno.readTextFileSync(new URL("tools/package.json", ROOT))).dependencies.deno as string;

async function deno(args: string[], cwd = ROOT_PATH) {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    env: { NO_COLOR: "1" },
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

Deno.test("README's Kubernetes Job: its fields agree, and its command runs for one index", async () => {
  const [yaml] = fences(README, "yaml");
  assert.ok(yaml, "a yaml block");
  const field = (k: string) => yaml.match(new RegExp(`^\\s*${k}: (.+)$`, "m"))?.[1].trim();
  assert.equal(field("apiVersion"), "batch/v1");
  assert.equal(field("kind"), "Job");
  assert.equal(field("completionMode"), "Indexed");
  assert.equal(field("restartPolicy"), "Never");
  assert.equal(field("image"), `denoland/deno:${pinned}`);
  const command = yaml.match(/"(deno task ntk [^"]+)"/)![1];
  const slabs = Number(command.match(/--block \$JOB_COMPLETION_INDEX\/(\d+)/)![1]);
  assert.equal(Number(field("completions")), slabs, "one pod per slab");
  assert.equal(Number(field("parallelism")), slabs);
  // Run it for index 1 in a copy of the layout it expects (m/model.json, x.npy, out/).
  const dir = await Deno.makeTempDir({ prefix: "fast-ntk-job-" });
  try {
    await Deno.mkdir(`${dir}/m`);
    await Deno.mkdir(`${dir}/out`);
    for (const f of ["model.json", "weights.bin"]) {
      await Deno.copyFile(new URL(`examples/cnn/${f}`, ROOT), `${dir}/m/${f}`);
    }
    await Deno.copyFile(new URL("examples/cnn/x.npy", ROOT), `${dir}/x.npy`);
    const args = command.replaceAll("$JOB_COMPLETION_INDEX", "1").split(" ").slice(3); // after "deno task ntk"
    const r = await deno(["run", "-A", new URL(tasks.ntk.split(" ").at(-1)!, ROOT).pathname, ...args], dir);
    assert.equal(r.code, 0, r.stderr);
    const k = await readNpy(`${dir}/out/k1.npy`);
    assert.deepEqual(k.shape, [1, 8], "slab 1 of 16 of 8 examples: one row against all 8");
    k.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
