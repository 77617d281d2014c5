/**
 * `deno task fuzz [--seed S] [--count N] [--backends cpu,wasm,webgpu] [--other-every K]
 * [--fd-every K] [--no-shrink] [--out summary.json]`: the long campaign (default 10,000 programs,
 * every one on cpu, wasm and webgpu), printing the op histogram, programs per backend and
 * failures by class; unexpected failures are shrunk and printed as code.
 * @module
 */
import { parseArgs } from "node:util";
import type { Backend } from "./runner.ts";
import { formatSummary, runFuzz } from "./suite.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    seed: { type: "string", default: "20261204" },
    count: { type: "string", default: "10000" },
    backends: { type: "string", default: "cpu,wasm,webgpu" },
    "other-every": { type: "string", default: "1" },
    "fd-every": { type: "string", default: "4" },
    "no-shrink": { type: "boolean", default: false },
    out: { type: "string" },
  },
});
const others = values.backends.split(",").filter((b) => b !== "cpu") as Backend[];
const sum = await runFuzz({
  seed: Number(values.seed),
  count: Number(values.count),
  others,
  otherEvery: Number(values["other-every"]),
  fdEvery: Number(values["fd-every"]),
  shrinkFailures: !values["no-shrink"],
  log: (s) => console.log(s),
});
console.log("\n" + formatSummary(sum));
if (sum.shrunk.length) {
  console.log("\nShrunk counterexamples:");
  for (const s of sum.shrunk) {
    console.log(`--- ${s.cls} ${s.method} on ${s.backend}: ${s.message.split("\n")[0]}\n${s.code}`);
  }
}
if (values.out) {
  const { failures: _f, ...rest } = sum;
  await Deno.writeTextFile(values.out, JSON.stringify({ ...rest, failures: sum.failures.slice(0, 200) }, null, 1));
}
Deno.exit(sum.failures.length ? 1 : 0);
