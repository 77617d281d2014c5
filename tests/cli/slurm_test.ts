// `deno task ntk gram` on a real scheduler: a one-node Slurm cluster on this machine (munged,
// slurmctld and slurmd started here, as root, with their state in a temp dir), the Gram job as an
// `sbatch --array`, one array task cancelled while it runs, the job resubmitted: only the
// cancelled task's block is computed again, and the merged kernel equals the single-process one.
// Runs wherever Slurm is installed; under CI=true (where .ci/run installs it) it is never skipped.
import assert from "node:assert/strict";
import { readNpy } from "../../mod.ts";
import { relError } from "../_ref.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const BINARIES = ["munged", "slurmctld", "slurmd", "sbatch", "squeue", "scancel", "sinfo"];
const which = (bin: string) =>
  ["/usr/sbin", "/usr/bin", "/sbin", "/bin"].map((d) => `${d}/${bin}`).find((p) => {
    try {
      return Deno.statSync(p).isFile;
    } catch {
      return false;
    }
  });
const installed = BINARIES.every((b) => which(b));
const isRoot = Deno.uid() === 0;
const ci = Deno.env.get("CI") === "true";
const BLOCKS = 2; // x with itself: 3 blocks on and above the diagonal, array tasks 0-2
const TASKS = (BLOCKS * (BLOCKS + 1)) / 2;
const KILLED = 1;

/** Runs a command to completion; its stdout, or an error with its stderr. */
async function sh(cmd: string, args: string[], env: Record<string, string>): Promise<string> {
  const out = await new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped" }).output();
  const [stdout, stderr] = [new TextDecoder().decode(out.stdout), new TextDecoder().decode(out.stderr)];
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")} failed (${out.code}): ${stderr}${stdout}`);
  return stdout;
}

/** Polls `ok` every 200 ms until it holds, or fails after `seconds` saying what it waited for. */
async function until(what: string, seconds: number, ok: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + seconds * 1000;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out after ${seconds} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** slurm.conf for one node on localhost: no cgroups, no accounting, state in `dir`. */
function slurmConf(dir: string, port: number, host: string): string {
  return [
    "ClusterName=fastntk",
    `SlurmctldHost=${host}(127.0.0.1)`,
    "SlurmUser=root",
    "SlurmdUser=root",
    `SlurmctldPort=${port}`,
    `SlurmdPort=${port + 1}`,
    "AuthType=auth/munge",
    "CredType=cred/munge",
    `AuthInfo=socket=${dir}/munge.socket`,
    `StateSaveLocation=${dir}/state`,
    `SlurmdSpoolDir=${dir}/spool`,
    `SlurmctldPidFile=${dir}/slurmctld.pid`,
    `SlurmdPidFile=${dir}/slurmd.pid`,
    `SlurmctldLogFile=${dir}/slurmctld.log`,
    `SlurmdLogFile=${dir}/slurmd.log`,
    "ProctrackType=proctrack/linuxproc",
    "TaskPlugin=task/none",
    "SelectType=select/cons_tres",
    "SelectTypeParameters=CR_CPU",
    "SchedulerType=sched/builtin",
    "JobAcctGatherType=jobacct_gather/none",
    "AccountingStorageType=accounting_storage/none",
    "MpiDefault=none",
    "ReturnToService=2",
    "KillWait=2",
    `NodeName=localhost NodeAddr=127.0.0.1 CPUs=${navigator.hardwareConcurrency} RealMemory=1000 State=UNKNOWN`,
    "PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP",
    "",
  ].join("\n");
}

/** The daemons, started in the foreground as children of this test, so that it can stop them. */
class Cluster {
  children: Deno.ChildProcess[] = [];
  env: Record<string, string>;
  constructor(readonly dir: string) {
    this.env = { ...Deno.env.toObject(), SLURM_CONF: `${dir}/slurm.conf` };
  }
  spawn(cmd: string, args: string[]) {
    // Their logs go to files in the temp dir (printed when the test fails).
    this.children.push(
      new Deno.Command(which(cmd)!, { args, env: this.env, stdin: "null", stdout: "null", stderr: "null" }).spawn(),
    );
  }
  async start() {
    const d = this.dir;
    await Deno.mkdir(`${d}/state`);
    await Deno.mkdir(`${d}/spool`);
    const port = 20000 + Math.floor(Math.random() * 20000);
    const host = (await sh("hostname", ["-s"], this.env)).trim();
    await Deno.writeTextFile(`${d}/slurm.conf`, slurmConf(d, port, host));
    this.spawn("munged", [
      "--foreground",
      "--force",
      `--socket=${d}/munge.socket`,
      `--pid-file=${d}/munged.pid`,
      `--log-file=${d}/munged.log`,
      `--seed-file=${d}/munge.seed`,
    ]);
    await until("munged's socket", 20, async () => (await Deno.stat(`${d}/munge.socket`).catch(() => null)) !== null);
    this.spawn("slurmctld", ["-D", "-i", "-f", `${d}/slurm.conf`]);
    this.spawn("slurmd", ["-D", "-N", "localhost", "-f", `${d}/slurm.conf`]);
    await until("the node to be idle", 40, async () => {
      const state = await sh("sinfo", ["-h", "-N", "-o", "%T"], this.env).catch(() => "");
      return state.trim() === "idle";
    });
  }
  async stop() {
    for (const c of this.children.reverse()) {
      try {
        c.kill("SIGTERM");
      } catch { /* already gone */ }
    }
    for (const c of this.children) {
      const timer = setTimeout(() => {
        try {
          c.kill("SIGKILL");
        } catch { /* already gone */ }
      }, 10_000);
      await c.status;
      clearTimeout(timer);
    }
  }
  /** Array task states of a job: task id → state (PENDING, RUNNING, …), while squeue lists them. */
  async tasks(job: string): Promise<Map<number, string>> {
    const out = await sh("squeue", ["-h", "-r", "-j", job, "-o", "%K %T"], this.env).catch(() => "");
    return new Map(out.trim().split("\n").filter(Boolean).map((l) => l.split(" ")).map(([k, s]) => [Number(k), s]));
  }
  async sbatch(script: string, env: Record<string, string> = {}): Promise<string> {
    const out = await sh(
      "sbatch",
      ["--parsable", `--array=0-${TASKS - 1}`, `--output=${this.dir}/job-%A-%a.out`, "--ntasks=1", script],
      { ...this.env, ...env },
    );
    return out.trim().split(";")[0];
  }
  async logs(): Promise<string> {
    const parts: string[] = [];
    for (const f of ["slurmctld.log", "slurmd.log", "munged.log"]) {
      parts.push(
        `== ${f}\n${(await Deno.readTextFile(`${this.dir}/${f}`).catch(() => "")).split("\n").slice(-15).join("\n")}`,
      );
    }
    return parts.join("\n");
  }
}

Deno.test({
  name: "Slurm: gram as sbatch --array, one task cancelled while running, resubmitted: only its block recomputed",
  ignore: !ci && !(installed && isRoot),
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    assert.ok(installed, `Slurm is not installed (${BINARIES.join(", ")}): .ci/run installs slurm-wlm and munge`);
    assert.ok(isRoot, "the Slurm test starts munged, slurmctld and slurmd as root");
    const started = performance.now();
    const dir = await Deno.makeTempDir({ prefix: "fast-ntk-slurm-" });
    const cluster = new Cluster(dir);
    try {
      await cluster.start();
      const deno = Deno.execPath();
      // The slow task sleeps before its work, so that it is cancelled while RUNNING with no block written.
      const script = `${dir}/gram.sh`;
      await Deno.writeTextFile(
        script,
        `#!/bin/sh
[ "$SLURM_ARRAY_TASK_ID" = "$SLOW_TASK" ] && sleep 300
cd ${ROOT} && exec ${deno} task ntk gram --x examples/cnn/x.npy --blocks ${BLOCKS} --dir ${dir}/k --backend wasm --index-from-env
`,
      );
      const first = await cluster.sbatch(script, { SLOW_TASK: String(KILLED) });
      await until(`task ${KILLED} to run and the others to finish`, 60, async () => {
        const t = await cluster.tasks(first);
        return t.get(KILLED) === "RUNNING" && t.size === 1;
      });
      await sh("scancel", [`${first}_${KILLED}`], cluster.env);
      await until("the first job to leave the queue", 30, async () => (await cluster.tasks(first)).size === 0);
      const records = async () => {
        const m = new Map<string, number>();
        for await (const e of Deno.readDir(`${dir}/k`)) {
          if (e.name.endsWith(".json")) m.set(e.name, (await Deno.stat(`${dir}/k/${e.name}`)).mtime!.getTime());
        }
        return m;
      };
      const before = await records();
      assert.deepEqual([...before.keys()].sort(), ["block-0-0.json", "block-1-1.json"], "task 1 (block 0-1) cancelled");

      const second = await cluster.sbatch(script);
      await until("the resubmitted job to finish", 60, async () => (await cluster.tasks(second)).size === 0);
      const outs = await Promise.all(
        [0, 1, 2].map((k) => Deno.readTextFile(`${dir}/job-${second}-${k}.out`).catch(() => "")),
      );
      outs.forEach((o, k) =>
        assert.match(o, k === KILLED ? /block 1 \(.*\): computed in/ : /block \d \(.*\): skipped, its record matches/)
      );
      const after = await records();
      assert.equal(after.size, 3);
      for (const [name, mtime] of before) assert.equal(after.get(name), mtime, `${name} untouched`);

      // The merged kernel against one process's.
      const env = { NO_COLOR: "1" };
      await sh(deno, ["run", "-A", `${ROOT}src/cli.ts`, "merge", "--dir", `${dir}/k`, "--out", `${dir}/k.npy`], env);
      await sh(deno, [
        "run",
        "-A",
        `${ROOT}src/cli.ts`,
        "--x1",
        `${ROOT}examples/cnn/x.npy`,
        "--backend",
        "wasm",
        "--out",
        `${dir}/ref.npy`,
      ], env);
      const [k, ref] = [await readNpy(`${dir}/k.npy`), await readNpy(`${dir}/ref.npy`)];
      assert.deepEqual(k.shape, [8, 8]);
      // Float32 sums of the same products in other blocks and orders.
      assert.ok(relError(await k.data(), await ref.data()) <= 1e-5);
      k.dispose();
      ref.dispose();
      console.log(`slurm test: ${((performance.now() - started) / 1000).toFixed(1)} s`);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${await cluster.logs()}`);
    } finally {
      await cluster.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
