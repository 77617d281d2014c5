/**
 * `deno run -A tests/fuzz/replay.ts LOG [--backends cpu,wasm,webgpu] [--fd]`: runs again every
 * program whose `spec {...}` line a campaign log (or a file of such lines) holds, on each backend,
 * and prints each failure — the loop for fixing what `deno task fuzz` found.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
Error.stackTraceLimit = 60;
import "@tensorflow/tfjs-backend-wasm";
import "@tensorflow/tfjs-backend-webgpu";
import { parseArgs } from "node:util";
import { initBackend } from "../../mod.ts";
import { buildProgram, type ProgramSpec } from "./grammar.ts";
import { type Backend, checkProgram, gradOracle } from "./runner.ts";

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: { backends: { type: "string", default: "cpu,wasm,webgpu" }, fd: { type: "boolean", default: false } },
});
const backends = values.backends.split(",") as Backend[];
const specs = new Map<string, ProgramSpec>();
for (const line of (await Deno.readTextFile(positionals[0])).split("\n")) {
  if (line.startsWith("spec {")) specs.set(line.slice(5), JSON.parse(line.slice(5)));
}
await initBackend("cpu");
let failed = 0;
for (const spec of specs.values()) {
  const prog = buildProgram(spec);
  let oracle;
  try {
    oracle = await gradOracle(prog);
  } catch { /* checkProgram reports it */ }
  for (const backend of backends) {
    // WebGPU hands tensors under ~1000 elements to the CPU: run the shaders on these small programs.
    if (backend === "webgpu") tf.env().set("WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD", 0);
    try {
      const r = await checkProgram(prog, backend, { oracle, fd: values.fd && backend === "cpu" });
      for (const f of r.failures) {
        failed++;
        console.log(
          `FAIL ${f.cls} ${f.method} on ${f.backend}: ${f.message.split("\n").slice(0, 4).join("\n")}\n${f.code}`,
        );
      }
    } finally {
      if (backend === "webgpu") tf.env().set("WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD", 1000);
      await tf.setBackend("cpu");
    }
  }
}
console.log(`${specs.size} programs replayed on ${backends.join(", ")}: ${failed} failures`);
Deno.exit(failed ? 1 : 0);
