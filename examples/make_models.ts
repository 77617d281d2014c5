/**
 * Builds the bundled example model (examples/cnn) and the test fixtures (tests/fixtures) with
 * seeded weights and inputs, and saves them as tfjs layers models + `.npy` inputs.
 * Run: deno run -A examples/make_models.ts
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend, saveModel, writeNpy } from "../mod.ts";

await initBackend("cpu");
const root = new URL("..", import.meta.url).pathname;
let seed = 1;
const init = () => tf.initializers.glorotNormal({ seed: seed++ });

function seeded(shape: number[], s: number, scale = 1): tf.Tensor {
  let a = s >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const n = shape.reduce((x, y) => x * y, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => scale * (2 * next() - 1)), shape);
}

/** Gives batch-norm layers non-trivial moving statistics. */
function setMovingStats(model: tf.LayersModel, s: number) {
  for (const layer of model.layers) {
    if (layer.getClassName() !== "BatchNormalization") continue;
    const ws = layer.getWeights();
    const c = ws[0].shape[0];
    layer.setWeights([
      tf.add(ws[0], seeded([c], s, 0.3)),
      seeded([c], s + 1, 0.2),
      seeded([c], s + 2, 0.5),
      tf.add(seeded([c], s + 3, 0.4), 1),
    ]);
  }
}

async function save(model: tf.LayersModel, dir: string, inputs: Record<string, tf.Tensor>) {
  await saveModel(model, `${root}${dir}`);
  for (const [name, t] of Object.entries(inputs)) await writeNpy(`${root}${dir}/${name}.npy`, t);
  console.log(`wrote ${dir}: ${model.countParams()} parameters, inputs ${Object.keys(inputs).join(", ")}`);
}

// The bundled example: a small CNN classifier of 8×8 images into 10 classes.
{
  const m = tf.sequential({
    name: "example_cnn",
    layers: [
      tf.layers.conv2d({
        inputShape: [8, 8, 1],
        filters: 8,
        kernelSize: 3,
        activation: "relu",
        padding: "same",
        kernelInitializer: init(),
        name: "conv",
      }),
      tf.layers.batchNormalization({ name: "bn" }),
      tf.layers.maxPooling2d({ poolSize: 2, name: "pool" }),
      tf.layers.flatten({ name: "flatten" }),
      tf.layers.dense({ units: 16, activation: "tanh", kernelInitializer: init(), name: "hidden" }),
      tf.layers.dense({ units: 10, kernelInitializer: init(), name: "logits" }),
    ],
  });
  setMovingStats(m, 10);
  await save(m, "examples/cnn", { x: seeded([8, 8, 8, 1], 100) });
}

// Fixture 1: CNN with batch-norm and pooling (max and average), softmax head.
{
  const m = tf.sequential({
    name: "cnn_bn_pool",
    layers: [
      tf.layers.conv2d({
        inputShape: [6, 6, 2],
        filters: 4,
        kernelSize: 3,
        padding: "same",
        kernelInitializer: init(),
      }),
      tf.layers.batchNormalization(),
      tf.layers.activation({ activation: "relu" }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 4, kernelSize: 2, activation: "elu", kernelInitializer: init() }),
      tf.layers.averagePooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 3, activation: "softmax", kernelInitializer: init() }),
    ],
  });
  setMovingStats(m, 20);
  await save(m, "tests/fixtures/cnn_bn_pool", { x1: seeded([3, 6, 6, 2], 200), x2: seeded([2, 6, 6, 2], 201) });
}

// Fixture 2: Embedding + LSTM over token ids.
{
  const m = tf.sequential({
    name: "embedding_lstm",
    layers: [
      tf.layers.embedding({
        inputDim: 20,
        outputDim: 6,
        inputLength: 5,
        embeddingsInitializer: tf.initializers.randomNormal({ seed: seed++ }),
      }),
      tf.layers.lstm({ units: 5, kernelInitializer: init(), recurrentInitializer: init() }),
      tf.layers.dense({ units: 2, kernelInitializer: init() }),
    ],
  });
  const ids = (n: number, s: number) =>
    tf.tensor(Int32Array.from({ length: n * 5 }, (_, i) => (i * 7 + s * 3) % 20), [n, 5], "int32");
  await save(m, "tests/fixtures/embedding_lstm", { x1: ids(3, 1), x2: ids(2, 2) });
}

// Fixture 3: a functional model with two branches joined by merge layers.
{
  const input = tf.input({ shape: [4] });
  const a = tf.layers.dense({ units: 6, activation: "relu", kernelInitializer: init() }).apply(
    input,
  ) as tf.SymbolicTensor;
  const b = tf.layers.dense({ units: 6, activation: "sigmoid", kernelInitializer: init() }).apply(
    input,
  ) as tf.SymbolicTensor;
  const sum = tf.layers.add().apply([a, b]) as tf.SymbolicTensor;
  const prod = tf.layers.multiply().apply([a, b]) as tf.SymbolicTensor;
  const cat = tf.layers.concatenate().apply([sum, prod]) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 3, kernelInitializer: init() }).apply(cat) as tf.SymbolicTensor;
  const m = tf.model({ name: "functional_merge", inputs: input, outputs: out });
  await save(m, "tests/fixtures/functional_merge", { x1: seeded([3, 4], 300), x2: seeded([2, 4], 301) });
}
