// Runs every kernel case (tests/kernels/cases/*.ts) on each of its backends.
import * as tf from "@tensorflow/tfjs";
import "../../src/core/backend.ts";
import { checkKernelCase } from "./_harness.ts";
import { ALL_CASES } from "./cases/mod.ts";
import { NATIVE_IF_PRESENT } from "../_native.ts";

for (const c of ALL_CASES) {
  for (const backend of c.backends ?? ["cpu", ...NATIVE_IF_PRESENT, "wasm", "webgpu"]) {
    Deno.test({
      name: `${c.kernel} linearization${c.variant ? ` [${c.variant}]` : ""} matches tf.grads on ${backend}`,
      sanitizeOps: false,
      sanitizeResources: false,
      fn: async () => {
        await tf.setBackend(backend);
        await checkKernelCase(c);
      },
    });
  }
}
