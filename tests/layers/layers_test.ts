// Every layer case × every method on cpu, plus the adapter's own contracts.
import * as tf from "@tensorflow/tfjs";
import "../../src/backend.ts";
import { checkLayerCase } from "./_check.ts";
import { LAYER_CASES } from "./_layer_cases.ts";
import { LAYER_TEST_METHODS } from "./_methods.ts";

for (const c of LAYER_CASES) {
  for (const method of LAYER_TEST_METHODS) {
    Deno.test({
      name: `NTK through ${c.name} matches explicit Jacobian [${method}, cpu]`,
      ignore: c.ignore,
      sanitizeOps: false,
      sanitizeResources: false,
      fn: async () => {
        await tf.setBackend("cpu");
        await checkLayerCase(c, method);
      },
    });
  }
}
