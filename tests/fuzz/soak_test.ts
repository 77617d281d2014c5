// The soak in short (`deno task soak` runs 1000 calls with resident memory): 30 consecutive calls
// of every public function, each method traced and full, plain function and layers model, on
// cpu, wasm and webgpu — tensors and bytes back to their start, the caller's tensors untouched.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { soak } from "./soak.ts";

for (const backend of ["cpu", "wasm", "webgpu"]) {
  Deno.test({
    name:
      `soak: 30 calls of every public function leave no tensor or byte behind and the caller's tensors intact [${backend}]`,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      const results = await soak(backend, 30);
      await tf.setBackend("cpu");
      const bad = results.filter((r) => r.tensorsDelta !== 0 || r.bytesDelta !== 0 || !r.callerOk);
      assert.deepEqual(bad, [], JSON.stringify(bad, null, 1));
    },
  });
}
