// A representative subset of the layer cases on wasm, every method; the reference stays on cpu.
import * as tf from "@tensorflow/tfjs";
import "../../src/core/backend.ts";
import { checkLayerCase } from "./_check.ts";
import { LAYER_CASES } from "./_layer_cases.ts";
import { LAYER_TEST_METHODS } from "./_methods.ts";

const WASM_CASES = [
  "Dense",
  "Conv2D (same, strides 2)",
  "DepthwiseConv2D (depthMultiplier 2)",
  "SeparableConv2D (depthMultiplier 2)",
  "Conv2DTranspose (same, strides 2)",
  "Embedding",
  "LSTM (returnSequences)",
  "GRU",
  "BatchNormalization (after Conv2D)",
  "LayerNormalization",
  "MaxPooling2D",
  "AveragePooling2D",
  "Concatenate",
  "Multiply",
];

for (const name of WASM_CASES) {
  const c = LAYER_CASES.find((c) => c.name === name);
  for (const method of LAYER_TEST_METHODS) {
    Deno.test({
      name: `NTK through ${name} matches explicit Jacobian [${method}, wasm]`,
      ignore: c?.ignore,
      sanitizeOps: false,
      sanitizeResources: false,
      fn: async () => {
        if (!c) throw new Error(`no layer case named "${name}"`);
        await tf.setBackend("wasm");
        await checkLayerCase(c, method);
      },
    });
  }
}
