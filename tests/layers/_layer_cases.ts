/**
 * One small tfjs-layers model per layer type (more where a config changes the math), each with
 * the layer under test after a trainable layer (so tangents pass through it) and/or before one.
 * Weights are re-seeded deterministically after building (never tfjs's random initializers).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { ParamFn } from "../../mod.ts";
import { ints, randn, uniform } from "../_data.ts";

export interface LayerCase {
  /** Shown in the test name: "NTK through <name> matches …". */
  name: string;
  /** Builds the model; `buildCase` seeds its weights afterwards. */
  model: () => tf.LayersModel;
  /** Deterministic input for n examples. */
  input: (n: number, seed: number) => tf.Tensor | tf.Tensor[];
  /** A mathematically identical f(params, x) for the oracle, where tfjs has no gradient. */
  reference?: ParamFn;
  ignore?: boolean;
}

type SymbolicTensor = tf.SymbolicTensor;
type Activation = NonNullable<Parameters<typeof tf.layers.activation>[0]>["activation"];
const L = tf.layers;

/** Every built-in activation string of tfjs-layers 4.22 (the classNames registered there). */
export const ACTIVATIONS: Activation[] = [
  "elu", "selu", "relu", "relu6", "linear", "sigmoid", "hardSigmoid", "softplus", "softsign", "tanh",
  "softmax", "logSoftmax", "gelu", "gelu_new", "mish", "swish",
] as Activation[]; // deno-fmt-ignore

/** Sets every weight (trainable or not) to deterministic values; moving variances positive. */
export function seedWeights(model: tf.LayersModel, seed = 1000): void {
  model.weights.forEach((w, i) => {
    const name = w.originalName, shape = w.shape as number[];
    const fanIn = shape.length >= 2 ? shape.slice(0, -1).reduce((a, b) => a * b, 1) : 4;
    const v = name.endsWith("moving_variance")
      ? uniform(shape, 0.5, 2, seed + i)
      : randn(shape, seed + i, name.endsWith("moving_mean") ? 0.5 : 1 / Math.sqrt(fanIn));
    w.write(v);
    v.dispose();
  });
}

/** Builds a case's model with seeded weights. */
export function buildCase(c: LayerCase): tf.LayersModel {
  const model = c.model();
  seedWeights(model);
  return model;
}

const normal = (shape: number[], scale = 1) => (n: number, seed: number) => randn([n, ...shape], seed, scale);

/** A sequential model from `inputShape` through `layers`. */
function seq(name: string, inputShape: number[], layers: () => tf.layers.Layer[], scale = 1): LayerCase {
  return {
    name,
    model: () => tf.sequential({ layers: [L.inputLayer({ inputShape }), ...layers()] }),
    input: normal(inputShape, scale),
  };
}

/** input [4] → Dense(3, tanh) and Dense(3, sigmoid) → merge → Dense(2). */
function merged(name: string, merge: (branches: SymbolicTensor[]) => SymbolicTensor, shape = [4]): LayerCase {
  return {
    name,
    model: () => {
      const x = tf.input({ shape });
      const a = L.dense({ units: 3, activation: "tanh" }).apply(x) as SymbolicTensor;
      const b = L.dense({ units: 3, activation: "sigmoid" }).apply(x) as SymbolicTensor;
      const out = L.dense({ units: 2 }).apply(merge([a, b])) as SymbolicTensor;
      return tf.model({ inputs: x, outputs: out });
    },
    input: normal(shape),
  };
}
const apply = (layer: tf.layers.Layer) => (b: SymbolicTensor[]) => layer.apply(b) as SymbolicTensor;

/** Dense(5) → `layer` → Dense(3): an activation-like layer with tangents through it. */
const between = (name: string, layer: () => tf.layers.Layer, scale = 1) =>
  seq(name, [4], () => [L.dense({ units: 5 }), layer(), L.dense({ units: 3 })], scale);

/** Conv2D(3, 2×2) → `layer` → Flatten → Dense(2), on [5, 6, 2] images. */
const afterConv2d = (name: string, layers: () => tf.layers.Layer[], shape = [5, 6, 2]) =>
  seq(name, shape, () => [L.conv2d({ filters: 3, kernelSize: 2, activation: "tanh" }), ...layers(), L.flatten(), L.dense({ units: 2 })]);

/** Conv1D(3, 2) → `layer` → Flatten → Dense(2), on [7, 2] sequences. */
const afterConv1d = (name: string, layers: () => tf.layers.Layer[]) =>
  seq(name, [7, 2], () => [L.conv1d({ filters: 3, kernelSize: 2, activation: "tanh" }), ...layers(), L.flatten(), L.dense({ units: 2 })]);

/** Conv3D(3, 2) → `layer` → Flatten → Dense(2), on [4, 5, 6, 2] volumes. */
const afterConv3d = (name: string, layer: () => tf.layers.Layer) =>
  seq(name, [4, 5, 6, 2], () => [L.conv3d({ filters: 3, kernelSize: 2, activation: "tanh" }), layer(), L.flatten(), L.dense({ units: 2 })]);

/** A recurrent layer on [4, 3] sequences → Dense(2) (on every step when it returns sequences). */
const recurrent = (name: string, layer: () => tf.layers.Layer) => seq(name, [4, 3], () => [layer(), L.dense({ units: 2 })]);

/** Token ids in [0, vocab) for n sequences of `len`. */
const tokens = (len: number, vocab: number) => (n: number, seed: number) => ints([n, len], vocab, seed);

/** conv3dTranspose as conv3d of the stride-dilated, (k−1)-padded input with the flipped kernel. */
function conv3dTransposeRef(x: tf.Tensor5D, k: tf.Tensor, strides: number[]): tf.Tensor {
  let y: tf.Tensor = x;
  for (let ax = 1; ax <= 3; ax++) {
    const s = strides[ax - 1];
    if (s === 1) continue;
    const n = y.shape[ax];
    const withZeros = tf.stack([y, ...Array.from({ length: s - 1 }, () => tf.zerosLike(y))], ax + 1);
    const shape = [...y.shape];
    shape[ax] = n * s;
    const begin = y.shape.map(() => 0), size = [...shape];
    size[ax] = (n - 1) * s + 1;
    y = tf.slice(tf.reshape(withZeros, shape), begin, size);
  }
  const [kd, kh, kw] = k.shape;
  const padded = tf.pad(y, [[0, 0], [kd - 1, kd - 1], [kh - 1, kh - 1], [kw - 1, kw - 1], [0, 0]]);
  const flipped = tf.transpose(tf.reverse(k, [0, 1, 2]), [0, 1, 2, 4, 3]) as tf.Tensor5D;
  return tf.conv3d(padded as tf.Tensor5D, flipped, 1, "valid");
}

// deno-fmt-ignore
export const LAYER_CASES: LayerCase[] = [
  // Core
  seq("Dense", [4], () => [L.dense({ units: 5, activation: "tanh" }), L.dense({ units: 3 })]),
  seq("Dense (3-D input)", [4, 3], () => [L.dense({ units: 5, activation: "tanh" }), L.dense({ units: 2 })]),

  // Convolutions
  seq("Conv1D (valid)", [7, 2], () => [L.conv1d({ filters: 3, kernelSize: 3, activation: "relu" }), L.flatten(), L.dense({ units: 2 })]),
  seq("Conv1D (same, strides 2)", [7, 2], () => [L.conv1d({ filters: 3, kernelSize: 3, strides: 2, padding: "same", activation: "tanh" }), L.flatten(), L.dense({ units: 2 })]),
  seq("Conv1D (dilation 2)", [7, 2], () => [L.conv1d({ filters: 3, kernelSize: 2, dilationRate: 2, activation: "tanh" }), L.flatten(), L.dense({ units: 2 })]),
  seq("Conv2D (valid)", [5, 6, 2], () => [L.conv2d({ filters: 3, kernelSize: [3, 2], activation: "relu" }), L.flatten(), L.dense({ units: 2 })]),
  seq("Conv2D (same, strides 2)", [5, 6, 2], () => [L.conv2d({ filters: 3, kernelSize: 3, strides: 2, padding: "same", activation: "tanh" }), L.flatten(), L.dense({ units: 2 })]),
  seq("Conv2D (dilation 2, no bias)", [5, 6, 2], () => [L.conv2d({ filters: 3, kernelSize: 2, dilationRate: 2, useBias: false, activation: "tanh" }), L.flatten(), L.dense({ units: 2 })]),
  seq("Conv2D (channelsFirst)", [2, 5, 6], () => [L.conv2d({ filters: 3, kernelSize: [3, 2], dataFormat: "channelsFirst", activation: "tanh" }), L.flatten(), L.dense({ units: 2 })]),
  seq("Conv3D (valid)", [3, 4, 5, 2], () => [L.conv3d({ filters: 3, kernelSize: 2, activation: "tanh" }), L.flatten(), L.dense({ units: 2 })]),
  seq("Conv3D (same, strides 2)", [3, 4, 5, 2], () => [L.conv3d({ filters: 3, kernelSize: [3, 2, 2], strides: 2, padding: "same", activation: "tanh" }), L.flatten(), L.dense({ units: 2 })]),
  seq("Conv2DTranspose (valid)", [3, 4, 2], () => [L.conv2dTranspose({ filters: 3, kernelSize: [3, 2], activation: "tanh" }), L.flatten(), L.dense({ units: 2 })]),
  seq("Conv2DTranspose (same, strides 2)", [3, 4, 2], () => [L.conv2dTranspose({ filters: 3, kernelSize: 3, strides: 2, padding: "same", activation: "tanh" }), L.flatten(), L.dense({ units: 2 })]),
  {
    // tfjs registers no gradient for Conv3DBackpropInputV2, so the oracle is the same map as a conv3d.
    ...seq("Conv3DTranspose (strides [1, 2, 1])", [2, 3, 4, 2], () => [
      L.conv3dTranspose({ name: "ct", filters: 3, kernelSize: [2, 3, 2], strides: [1, 2, 1] }), L.activation({ activation: "tanh" }),
      L.flatten(), L.dense({ name: "head", units: 2 }),
    ]),
    reference: (p, x) => {
      const h = tf.tanh(tf.add(conv3dTransposeRef(x as tf.Tensor5D, p["ct/kernel"], [1, 2, 1]), p["ct/bias"]));
      return tf.add(tf.matMul(tf.reshape(h, [h.shape[0], -1]), p["head/kernel"]), p["head/bias"]);
    },
  },
  seq("SeparableConv2D (depthMultiplier 2)", [5, 6, 2], () => [L.separableConv2d({ filters: 3, kernelSize: 3, depthMultiplier: 2, activation: "tanh" }), L.flatten(), L.dense({ units: 2 })]),
  seq("SeparableConv2D (same, strides 2)", [5, 6, 2], () => [L.separableConv2d({ filters: 3, kernelSize: [3, 2], strides: 2, padding: "same", activation: "relu" }), L.flatten(), L.dense({ units: 2 })]),
  seq("DepthwiseConv2D (depthMultiplier 2)", [5, 6, 2], () => [L.depthwiseConv2d({ kernelSize: [3, 2], depthMultiplier: 2, activation: "tanh" }), L.flatten(), L.dense({ units: 2 })]),
  seq("DepthwiseConv2D (same, strides 2)", [5, 6, 2], () => [L.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: "same", activation: "relu" }), L.flatten(), L.dense({ units: 2 })]),

  // Embedding: int32 token ids as x
  { ...seq("Embedding", [5], () => [L.embedding({ inputDim: 7, outputDim: 4 }), L.flatten(), L.dense({ units: 2 })]), input: tokens(5, 7) },
  { ...seq("Embedding (maskZero) → LSTM", [5], () => [L.embedding({ inputDim: 7, outputDim: 4, maskZero: true }), L.lstm({ units: 3 }), L.dense({ units: 2 })]), input: tokens(5, 7) },

  // Recurrent
  recurrent("SimpleRNN", () => L.simpleRNN({ units: 5 })),
  recurrent("SimpleRNN (returnSequences)", () => L.simpleRNN({ units: 5, returnSequences: true })),
  recurrent("SimpleRNN (goBackwards)", () => L.simpleRNN({ units: 5, goBackwards: true })),
  recurrent("GRU", () => L.gru({ units: 5 })),
  recurrent("GRU (returnSequences)", () => L.gru({ units: 5, returnSequences: true })),
  recurrent("LSTM", () => L.lstm({ units: 5 })),
  recurrent("LSTM (returnSequences)", () => L.lstm({ units: 5, returnSequences: true })),
  recurrent("RNN of stacked cells (SimpleRNNCell, LSTMCell)", () => L.rnn({ cell: [L.simpleRNNCell({ units: 5 }), L.lstmCell({ units: 4 })] })),
  recurrent("RNN (GRUCell)", () => L.rnn({ cell: L.gruCell({ units: 5 }) })),
  recurrent("Bidirectional (concat)", () => L.bidirectional({ layer: L.lstm({ units: 3 }) as tf.RNN, mergeMode: "concat" })),
  recurrent("Bidirectional (concat, returnSequences)", () => L.bidirectional({ layer: L.simpleRNN({ units: 3, returnSequences: true }) as tf.RNN, mergeMode: "concat" })),
  recurrent("Bidirectional (sum)", () => L.bidirectional({ layer: L.gru({ units: 3 }) as tf.RNN, mergeMode: "sum" })),
  recurrent("Bidirectional (mul)", () => L.bidirectional({ layer: L.simpleRNN({ units: 3 }) as tf.RNN, mergeMode: "mul" })),
  recurrent("Bidirectional (ave)", () => L.bidirectional({ layer: L.lstm({ units: 3 }) as tf.RNN, mergeMode: "ave" })),
  seq("TimeDistributed(Dense)", [4, 3], () => [L.timeDistributed({ layer: L.dense({ units: 5, activation: "tanh" }) }), L.timeDistributed({ layer: L.dense({ units: 2 }) })]),
  seq("TimeDistributed(Conv2D)", [3, 4, 5, 2], () => [L.timeDistributed({ layer: L.conv2d({ filters: 2, kernelSize: 2, activation: "tanh" }) }), L.flatten(), L.dense({ units: 2 })]),
  seq("ConvLSTM2D", [2, 4, 5, 2], () => [L.convLstm2d({ filters: 3, kernelSize: 2 }), L.flatten(), L.dense({ units: 2 })]),
  seq("ConvLSTM2D (returnSequences, same)", [2, 4, 5, 2], () => [L.convLstm2d({ filters: 2, kernelSize: 3, padding: "same", returnSequences: true }), L.flatten(), L.dense({ units: 2 })]),
  {
    // Masked steps (all features equal to maskValue 0) are skipped by the LSTM.
    ...seq("Masking → LSTM", [5, 3], () => [L.masking({ maskValue: 0 }), L.lstm({ units: 4 }), L.dense({ units: 2 })]),
    input: (n, seed) => tf.tidy(() => tf.mul(randn([n, 5, 3], seed), tf.reshape(ints([n, 5], 3, seed + 1).cast("bool"), [n, 5, 1]))),
  },

  // Normalization (inference: moving statistics, seeded non-trivially by seedWeights)
  between("BatchNormalization (inference)", () => L.batchNormalization()),
  afterConv2d("BatchNormalization (after Conv2D)", () => [L.batchNormalization({ axis: -1 })]),
  seq("BatchNormalization (axis 1, no center/scale)", [4, 3], () => [L.dense({ units: 5, activation: "tanh" }), L.batchNormalization({ axis: 1, center: false, scale: false }), L.dense({ units: 2 })]),
  between("LayerNormalization", () => L.layerNormalization()),
  seq("LayerNormalization (axes [-2, -1])", [4, 3], () => [L.dense({ units: 5 }), L.layerNormalization({ axis: [-2, -1] }), L.dense({ units: 2 })]),

  // Activation with every built-in string (inputs scaled so relu6 and hardSigmoid clip)
  ...ACTIVATIONS.map((a) => between(`Activation (${a})`, () => L.activation({ activation: a }), 4)),

  // Advanced activation layers
  between("ReLU", () => L.reLU()),
  between("ReLU (maxValue 0.5)", () => L.reLU({ maxValue: 0.5 })),
  between("LeakyReLU (alpha 0.2)", () => L.leakyReLU({ alpha: 0.2 })),
  between("PReLU", () => L.prelu()),
  afterConv2d("PReLU (sharedAxes [1, 2])", () => [L.prelu({ sharedAxes: [1, 2] })]),
  between("ELU (alpha 0.7)", () => L.elu({ alpha: 0.7 })),
  between("ThresholdedReLU (theta 0.3)", () => L.thresholdedReLU({ theta: 0.3 })),
  between("Softmax", () => L.softmax()),
  seq("Softmax (axis 1 of 3-D)", [4, 3], () => [L.dense({ units: 5 }), L.softmax({ axis: 1 }), L.dense({ units: 2 })]),

  // Pooling
  afterConv1d("MaxPooling1D", () => [L.maxPooling1d({ poolSize: 2 })]),
  afterConv1d("MaxPooling1D (same, poolSize 3, strides 2)", () => [L.maxPooling1d({ poolSize: 3, strides: 2, padding: "same" })]),
  afterConv1d("AveragePooling1D", () => [L.averagePooling1d({ poolSize: 2 })]),
  afterConv1d("AveragePooling1D (same, poolSize 3, strides 2)", () => [L.averagePooling1d({ poolSize: 3, strides: 2, padding: "same" })]),
  afterConv2d("MaxPooling2D", () => [L.maxPooling2d({ poolSize: 2 })]),
  afterConv2d("MaxPooling2D (same, poolSize 3, strides 1)", () => [L.maxPooling2d({ poolSize: [3, 2], strides: 1, padding: "same" })]),
  seq("MaxPooling2D (channelsFirst)", [2, 5, 6], () => [L.conv2d({ filters: 3, kernelSize: 2, dataFormat: "channelsFirst", activation: "tanh" }), L.maxPooling2d({ poolSize: 2, dataFormat: "channelsFirst" }), L.flatten(), L.dense({ units: 2 })]),
  afterConv2d("AveragePooling2D", () => [L.averagePooling2d({ poolSize: 2 })]),
  afterConv2d("AveragePooling2D (same, poolSize 3, strides 1)", () => [L.averagePooling2d({ poolSize: [3, 2], strides: 1, padding: "same" })]),
  afterConv3d("MaxPooling3D", () => L.maxPooling3d({ poolSize: 2 })),
  afterConv3d("AveragePooling3D", () => L.averagePooling3d({ poolSize: [2, 2, 3], strides: [1, 2, 2] })),
  afterConv1d("GlobalAveragePooling1D", () => [L.globalAveragePooling1d()]),
  afterConv1d("GlobalMaxPooling1D", () => [L.globalMaxPooling1d()]),
  afterConv2d("GlobalAveragePooling2D", () => [L.globalAveragePooling2d({})]),
  afterConv2d("GlobalMaxPooling2D", () => [L.globalMaxPooling2d({})]),

  // Reshaping
  seq("Flatten", [4, 3], () => [L.dense({ units: 5, activation: "tanh" }), L.flatten(), L.dense({ units: 2 })]),
  seq("Reshape", [4, 3], () => [L.dense({ units: 5, activation: "tanh" }), L.reshape({ targetShape: [2, 10] }), L.dense({ units: 2 })]),
  seq("Permute", [4, 3], () => [L.dense({ units: 5, activation: "tanh" }), L.permute({ dims: [2, 1] }), L.dense({ units: 2 })]),
  seq("RepeatVector", [4], () => [L.dense({ units: 5, activation: "tanh" }), L.repeatVector({ n: 3 }), L.simpleRNN({ units: 2, returnSequences: true })]),
  afterConv2d("ZeroPadding2D", () => [L.zeroPadding2d({ padding: [[1, 0], [2, 1]] })]),
  afterConv2d("Cropping2D", () => [L.cropping2D({ cropping: [[1, 0], [2, 1]] })]),
  afterConv2d("UpSampling2D (nearest)", () => [L.upSampling2d({ size: [2, 3] })]),
  afterConv2d("UpSampling2D (bilinear)", () => [L.upSampling2d({ size: [2, 3], interpolation: "bilinear" })]),

  // Merge layers: functional models with two branches
  merged("Add", apply(L.add())),
  merged("Concatenate", apply(L.concatenate())),
  merged("Multiply", apply(L.multiply())),
  merged("Average", apply(L.average())),
  merged("Maximum", apply(L.maximum({}))),
  merged("Minimum", apply(L.minimum({}))),
  merged("Dot", apply(L.dot({ axes: -1 }))),
  merged("Dot (normalize)", apply(L.dot({ axes: -1, normalize: true }))),
  merged("Concatenate (axis 1 of 3-D)", apply(L.concatenate({ axis: 1 })), [4, 3]),

  // Identity at inference
  between("Dropout", () => L.dropout({ rate: 0.4 })),
  seq("SpatialDropout1D", [4, 3], () => [L.dense({ units: 5 }), L.spatialDropout1d({ rate: 0.4 }), L.dense({ units: 2 })]),
  between("GaussianNoise", () => L.gaussianNoise({ stddev: 0.5 })),
  between("GaussianDropout", () => L.gaussianDropout({ rate: 0.4 })),
  between("AlphaDropout", () => L.alphaDropout({ rate: 0.4 })),

  // Preprocessing layers that pass tangents
  between("Rescaling", () => L.rescaling({ scale: 0.7, offset: -0.2 })),
  afterConv2d("Resizing (bilinear)", () => [L.resizing({ height: 6, width: 3 })]),
  afterConv2d("Resizing (nearest)", () => [L.resizing({ height: 6, width: 3, interpolation: "nearest" })]),
  afterConv2d("CenterCrop (upsizing)", () => [L.centerCrop({ height: 6, width: 7 })]),

  // Nesting
  seq("nested Sequential", [4], () => [
    tf.sequential({ layers: [L.dense({ inputShape: [4], units: 5, activation: "tanh" }), L.dense({ units: 3, activation: "sigmoid" })] }) as unknown as tf.layers.Layer,
    L.dense({ units: 2 }),
  ]),
];
