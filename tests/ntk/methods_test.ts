// Every method on every model, against an explicit J1·J2ᵀ from tf.grads on cpu (N1 ≠ N2).
import * as tf from "@tensorflow/tfjs";
import "../../src/core/backend.ts";
import { checkAgainstReference } from "./_check.ts";
import {
  broadcasting,
  convNet,
  embedding,
  mlp,
  type Model,
  rnn,
  scaledWeight,
  sharedWeight,
  timeDense,
} from "./_models.ts";
import { NATIVE_IF_PRESENT } from "../_native.ts";

const MODELS: Model[] = [
  mlp("relu"),
  mlp("tanh", { bias: false }),
  mlp("sigmoid"),
  mlp("softplus", { bias: false }),
  convNet(),
  sharedWeight(),
  scaledWeight(),
  broadcasting(),
  timeDense(),
  rnn(),
  embedding(),
];
const METHODS = ["jacobian", "ntkvp", "structured"] as const;

for (const backend of ["cpu", ...NATIVE_IF_PRESENT, "wasm"]) {
  for (const method of METHODS) {
    for (const model of MODELS) {
      for (const traceAxes of [[-1], []]) {
        Deno.test({
          name: `${method} NTK of ${model.name} (traceAxes [${traceAxes}]) matches J1·J2ᵀ on ${backend}`,
          sanitizeOps: false,
          sanitizeResources: false,
          fn: async () => {
            await tf.setBackend(backend);
            await checkAgainstReference(model, { method, n1: 3, n2: 4, traceAxes });
          },
        });
      }
    }
  }
}

// WebGPU with tensors above tfjs's 1000-element CPU hand-off, so GPU shaders really run.
for (const method of METHODS) {
  for (const model of [mlp("relu", { inputDim: 50, width: 64 }), convNet({ size: 12, channels: 8 })]) {
    Deno.test({
      name: `${method} NTK of ${model.name} matches J1·J2ᵀ on webgpu`,
      sanitizeOps: false,
      sanitizeResources: false,
      fn: async () => {
        await tf.setBackend("webgpu");
        await checkAgainstReference(model, { method, n1: 20, n2: 17, traceAxes: [] });
      },
    });
  }
}
