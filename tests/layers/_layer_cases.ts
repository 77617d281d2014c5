/**
 * One small tfjs-layers model per layer type (more where a config changes the math), each with
 * the layer under test after a trainable layer (so tangents pass through it) and/or before one.
 * Weights are re-seeded deterministically after building (never tfjs's random initializers).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { ParamFn } from "../../mod.ts";
import { ints, randn, uniform } from "../_data.ts";
import {
  afterConv2dRef,
  conv1dPre,
  conv3dPre,
  conv3dTransposeRef,
  dense,
  dilate,
  flatHead,
  poolSame,
  resizeRef,
} from "./_references.ts";

export interface LayerCase {
  /** Shown in the test name: "NTK through <name> matches …". */
  name: string;
  /** Builds the model; `buildCase` seeds its weights afterwards. */
  model: () => tf.LayersModel;
  /** Deterministic input for n examples. */
  input: (n: number, seed: number) => tf.Tensor | tf.Tensor[];
  /** A mathematically identical f(params, x) for the oracle, where tfjs's own gradient is
   * missing or wrong; given the built model for its non-trainable weights. */
  reference?: (model: tf.LayersModel) => ParamFn;
  ignore?: boolean;
}

type SymbolicTensor = tf.SymbolicTensor;
type Activation = NonNullable<Parameters<typeof tf.layers.activation>[0]>["activation"];
const L = tf.layers;

/** Every built-in activation string of tfjs-layers 4.22 (the classNames registered there). */
// deno-fmt-ignore
export const ACTIVATIONS: Activation[] = [
  "elu", "selu", "relu", "relu6", "linear", "sigmoid", "hardSigmoid", "softplus", "softsign", "tanh",
  "softmax", "logSoftmax", "gelu", "gelu_new", "mish", "swish",
] as Activation[];

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

/** `layer` → Flatten → Dense(2): a trainable layer with a linear readout. */
const readout = (name: string, inputShape: number[], layer: () => tf.layers.Layer) =>
  seq(name, inputShape, () => [layer(), L.flatten(), L.dense({ units: 2 })]);

/** input → Dense(3, tanh) and Dense(3, sigmoid) → merge → Dense(2). */
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
const apply = (layer: () => tf.layers.Layer) => (b: SymbolicTensor[]) => layer().apply(b) as SymbolicTensor;

// The cases below name their first and last trainable layers "pre" and "head", so that a
// reference can address the weights: "pre/kernel", "head/bias".
const pre = { name: "pre" }, head = { name: "head" };

/** Dense(5) "pre" → `layer` → Dense(3) "head": an activation-like layer with tangents through it. */
const between = (name: string, layer: () => tf.layers.Layer, scale = 1) =>
  seq(name, [4], () => [L.dense({ ...pre, units: 5 }), layer(), L.dense({ ...head, units: 3 })], scale);

/** Conv2D(3, 2×2, tanh) "pre" → `layers` → Flatten → Dense(2) "head", on [5, 6, 2] images. */
const afterConv2d = (name: string, layers: () => tf.layers.Layer[], flatten = true) =>
  seq(name, [5, 6, 2], () => [
    L.conv2d({ ...pre, filters: 3, kernelSize: 2, activation: "tanh" }),
    ...layers(),
    ...(flatten ? [L.flatten()] : []),
    L.dense({ ...head, units: 2 }),
  ]);

/** Conv1D(3, 2, tanh) "pre" → `layers` → Flatten → Dense(2) "head", on [7, 2] sequences. */
const afterConv1d = (name: string, layers: () => tf.layers.Layer[], flatten = true) =>
  seq(name, [7, 2], () => [
    L.conv1d({ ...pre, filters: 3, kernelSize: 2, activation: "tanh" }),
    ...layers(),
    ...(flatten ? [L.flatten()] : []),
    L.dense({ ...head, units: 2 }),
  ]);

/** Conv3D(3, 2, tanh) "pre" → `layer` → Flatten → Dense(2) "head", on [4, 5, 6, 2] volumes. */
const afterConv3d = (name: string, layer: () => tf.layers.Layer) =>
  seq(
    name,
    [4, 5, 6, 2],
    () => [
      L.conv3d({ ...pre, filters: 3, kernelSize: 2, activation: "tanh" }),
      layer(),
      L.flatten(),
      L.dense({ ...head, units: 2 }),
    ],
  );

/** A recurrent layer on [4, 3] sequences → Dense(2) (on every step when it returns sequences). */
const recurrent = (name: string, layer: () => tf.layers.Layer) =>
  seq(name, [4, 3], () => [layer(), L.dense({ units: 2 })]);

/** Token ids in [0, vocab) for n sequences of `len`. */
const tokens = (len: number, vocab: number) => (n: number, seed: number) => ints([n, len], vocab, seed);

/** tfjs-layers 4.22's Resizing and CenterCrop (when upsizing) hand the layer's input LIST to
 * tf.image.resize*, which fails inside any model, and Resizing's computeOutputShape drops the
 * batch axis; this instance passes the single tensor and keeps the batch axis. */
function fixResizeLayer<T extends tf.layers.Layer>(layer: T, size?: [number, number]): T {
  const call = Object.getPrototypeOf(layer).call;
  // deno-lint-ignore no-explicit-any
  const l = layer as any;
  l.call = (inputs: tf.Tensor | tf.Tensor[], kwargs: unknown) =>
    call.call(layer, Array.isArray(inputs) ? inputs[0] : inputs, kwargs);
  if (size) l.computeOutputShape = (s: tf.Shape) => [s[0], ...size, s[3]];
  return layer;
}

/** A custom layer with its own weight: y = x · scale (per feature). */
class ScaleLayer extends tf.layers.Layer {
  static className = "ScaleLayer";
  private scale!: tf.LayerVariable;
  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    this.scale = this.addWeight("scale", [shape[shape.length - 1]!], "float32", tf.initializers.ones());
    this.built = true;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.mul(Array.isArray(inputs) ? inputs[0] : inputs, this.scale.read());
  }
}

export const LAYER_CASES: LayerCase[] = [
  // Core
  seq("Dense", [4], () => [L.dense({ units: 5, activation: "tanh" }), L.dense({ units: 3 })]),
  seq("Dense (3-D input)", [4, 3], () => [L.dense({ units: 5, activation: "tanh" }), L.dense({ units: 2 })]),
  seq(
    "custom layer with a weight (ScaleLayer)",
    [4],
    () => [L.dense({ units: 5, activation: "tanh" }), new ScaleLayer({}), L.dense({ units: 3 })],
  ),
  seq("nested Sequential", [4], () => [
    tf.sequential({
      layers: [
        L.dense({ inputShape: [4], units: 5, activation: "tanh" }),
        L.dense({ units: 3, activation: "sigmoid" }),
      ],
    }) as unknown as tf.layers.Layer,
    L.dense({ units: 2 }),
  ]),

  // Convolutions
  readout("Conv1D (valid)", [7, 2], () => L.conv1d({ filters: 3, kernelSize: 3, activation: "relu" })),
  readout(
    "Conv1D (same, strides 2)",
    [7, 2],
    () => L.conv1d({ filters: 3, kernelSize: 3, strides: 2, padding: "same", activation: "tanh" }),
  ),
  {
    // tfjs's Conv2D gradient refuses dilations > 1; the oracle uses the zero-dilated kernel.
    ...seq("Conv1D (dilation 2)", [7, 2], () => [
      L.conv1d({ ...pre, filters: 3, kernelSize: 2, dilationRate: 2, activation: "tanh" }),
      L.flatten(),
      L.dense({ ...head, units: 2 }),
    ]),
    reference: () => (p, x) => {
      const kernel = dilate(p["pre/kernel"], 0, 2) as tf.Tensor3D;
      return flatHead(p, tf.tanh(tf.add(tf.conv1d(x as tf.Tensor3D, kernel, 1, "valid"), p["pre/bias"])));
    },
  },
  readout("Conv2D (valid)", [5, 6, 2], () => L.conv2d({ filters: 3, kernelSize: [3, 2], activation: "relu" })),
  readout(
    "Conv2D (same, strides 2)",
    [5, 6, 2],
    () => L.conv2d({ filters: 3, kernelSize: 3, strides: 2, padding: "same", activation: "tanh" }),
  ),
  {
    // As Conv1D (dilation 2).
    ...seq("Conv2D (dilation 2, no bias)", [5, 6, 2], () => [
      L.conv2d({ ...pre, filters: 3, kernelSize: 2, dilationRate: 2, useBias: false, activation: "tanh" }),
      L.flatten(),
      L.dense({ ...head, units: 2 }),
    ]),
    reference: () => (p, x) => {
      const kernel = dilate(dilate(p["pre/kernel"], 0, 2), 1, 2) as tf.Tensor4D;
      return flatHead(p, tf.tanh(tf.conv2d(x as tf.Tensor4D, kernel, 1, "valid")));
    },
  },
  readout(
    "Conv2D (channelsFirst)",
    [2, 5, 6],
    () => L.conv2d({ filters: 3, kernelSize: [3, 2], dataFormat: "channelsFirst", activation: "tanh" }),
  ),
  readout("Conv3D (valid)", [3, 4, 5, 2], () => L.conv3d({ filters: 3, kernelSize: 2, activation: "tanh" })),
  readout(
    "Conv3D (same, strides 2)",
    [3, 4, 5, 2],
    () => L.conv3d({ filters: 3, kernelSize: [3, 2, 2], strides: 2, padding: "same", activation: "tanh" }),
  ),
  readout(
    "Conv2DTranspose (valid)",
    [3, 4, 2],
    () => L.conv2dTranspose({ filters: 3, kernelSize: [3, 2], activation: "tanh" }),
  ),
  readout(
    "Conv2DTranspose (same, strides 2)",
    [3, 4, 2],
    () => L.conv2dTranspose({ filters: 3, kernelSize: 3, strides: 2, padding: "same", activation: "tanh" }),
  ),
  {
    // tfjs registers no gradient for Conv3DBackpropInputV2: the oracle is the same map as a conv3d.
    ...seq("Conv3DTranspose (strides [1, 2, 1])", [2, 3, 4, 2], () => [
      L.conv3dTranspose({ ...pre, filters: 3, kernelSize: [2, 3, 2], strides: [1, 2, 1] }),
      L.activation({ activation: "tanh" }),
      L.flatten(),
      L.dense({ ...head, units: 2 }),
    ]),
    reference: () => (p, x) =>
      flatHead(p, tf.tanh(tf.add(conv3dTransposeRef(x as tf.Tensor, p["pre/kernel"], [1, 2, 1]), p["pre/bias"]))),
  },
  readout(
    "SeparableConv2D (depthMultiplier 2)",
    [5, 6, 2],
    () => L.separableConv2d({ filters: 3, kernelSize: 3, depthMultiplier: 2, activation: "tanh" }),
  ),
  readout(
    "SeparableConv2D (same, strides 2)",
    [5, 6, 2],
    () => L.separableConv2d({ filters: 3, kernelSize: [3, 2], strides: 2, padding: "same", activation: "relu" }),
  ),
  readout(
    "DepthwiseConv2D (depthMultiplier 2)",
    [5, 6, 2],
    () => L.depthwiseConv2d({ kernelSize: [3, 2], depthMultiplier: 2, activation: "tanh" }),
  ),
  readout(
    "DepthwiseConv2D (same, strides 2)",
    [5, 6, 2],
    () => L.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: "same", activation: "relu" }),
  ),

  // Embedding: int32 token ids as x
  { ...readout("Embedding", [5], () => L.embedding({ inputDim: 7, outputDim: 4 })), input: tokens(5, 7) },
  {
    ...seq(
      "Embedding (maskZero) → LSTM",
      [5],
      () => [L.embedding({ inputDim: 7, outputDim: 4, maskZero: true }), L.lstm({ units: 3 }), L.dense({ units: 2 })],
    ),
    input: tokens(5, 7),
  },

  // Recurrent
  recurrent("SimpleRNN", () => L.simpleRNN({ units: 5 })),
  recurrent("SimpleRNN (returnSequences)", () => L.simpleRNN({ units: 5, returnSequences: true })),
  recurrent("SimpleRNN (goBackwards)", () => L.simpleRNN({ units: 5, goBackwards: true })),
  recurrent("GRU", () => L.gru({ units: 5 })), // tfjs's GRUCell rejects resetAfter: true
  recurrent("GRU (returnSequences)", () => L.gru({ units: 5, returnSequences: true })),
  recurrent("LSTM", () => L.lstm({ units: 5 })),
  recurrent("LSTM (returnSequences)", () => L.lstm({ units: 5, returnSequences: true })),
  recurrent(
    "RNN of stacked cells (SimpleRNNCell, LSTMCell)",
    () => L.rnn({ cell: [L.simpleRNNCell({ units: 5 }), L.lstmCell({ units: 4 })] }),
  ),
  recurrent("RNN (GRUCell)", () => L.rnn({ cell: L.gruCell({ units: 5 }) })),
  recurrent(
    "Bidirectional (concat)",
    () => L.bidirectional({ layer: L.lstm({ units: 3 }) as tf.RNN, mergeMode: "concat" }),
  ),
  recurrent(
    "Bidirectional (concat, returnSequences)",
    () => L.bidirectional({ layer: L.simpleRNN({ units: 3, returnSequences: true }) as tf.RNN, mergeMode: "concat" }),
  ),
  recurrent("Bidirectional (sum)", () => L.bidirectional({ layer: L.gru({ units: 3 }) as tf.RNN, mergeMode: "sum" })),
  recurrent(
    "Bidirectional (mul)",
    () => L.bidirectional({ layer: L.simpleRNN({ units: 3 }) as tf.RNN, mergeMode: "mul" }),
  ),
  recurrent("Bidirectional (ave)", () => L.bidirectional({ layer: L.lstm({ units: 3 }) as tf.RNN, mergeMode: "ave" })),
  seq(
    "TimeDistributed(Dense)",
    [4, 3],
    () => [
      L.timeDistributed({ layer: L.dense({ units: 5, activation: "tanh" }) }),
      L.timeDistributed({ layer: L.dense({ units: 2 }) }),
    ],
  ),
  readout(
    "TimeDistributed(Conv2D)",
    [3, 4, 5, 2],
    () => L.timeDistributed({ layer: L.conv2d({ filters: 2, kernelSize: 2, activation: "tanh" }) }),
  ),
  readout("ConvLSTM2D", [2, 4, 5, 2], () => L.convLstm2d({ filters: 3, kernelSize: 2 })),
  readout(
    "ConvLSTM2D (returnSequences, same)",
    [2, 4, 5, 2],
    () => L.convLstm2d({ filters: 2, kernelSize: 3, padding: "same", returnSequences: true }),
  ),
  {
    // Masked steps (every feature equal to maskValue 0) are skipped by the LSTM.
    ...seq("Masking → LSTM", [5, 3], () => [L.masking({ maskValue: 0 }), L.lstm({ units: 4 }), L.dense({ units: 2 })]),
    input: (n, seed) =>
      tf.tidy(() => tf.mul(randn([n, 5, 3], seed), tf.reshape(tf.cast(ints([n, 5], 3, seed + 1), "bool"), [n, 5, 1]))),
  },

  // Normalization, inference mode: seedWeights gives moving mean/variance non-trivial values.
  between("BatchNormalization (inference)", () => L.batchNormalization()),
  afterConv2d("BatchNormalization (after Conv2D)", () => [L.batchNormalization({ axis: -1 })]),
  {
    // tfjs's FusedBatchNorm gradient clones its absent scale/offset inputs and throws.
    ...seq("BatchNormalization (no center/scale)", [4], () => [
      L.dense({ ...pre, units: 5, activation: "tanh" }),
      L.batchNormalization({ name: "bn", center: false, scale: false }),
      L.dense({ ...head, units: 3 }),
    ]),
    reference: (model) => {
      const [mean, variance] = model.getLayer("bn").getWeights();
      return (p, x) =>
        dense(
          p,
          tf.mul(tf.sub(tf.tanh(dense(p, x as tf.Tensor, "pre")), mean), tf.rsqrt(tf.add(variance, 1e-3))),
          "head",
        );
    },
  },
  // BatchNormalization over a non-last axis: layers_test.ts (tfjs-cpu computes it wrongly).
  between("LayerNormalization", () => L.layerNormalization()),
  seq(
    "LayerNormalization (axes [-2, -1])",
    [4, 3],
    () => [L.dense({ units: 5 }), L.layerNormalization({ axis: [-2, -1] }), L.dense({ units: 2 })],
  ),

  // Activation with every built-in string (inputs scaled by 4 so relu6 and hardSigmoid clip)
  ...ACTIVATIONS.map((a) => between(`Activation (${a})`, () => L.activation({ activation: a }), 4)),

  // Advanced activation layers. tfjs's ELU layer rejects alpha ≠ 1; Softmax rejects axis ≠ -1.
  between("ReLU", () => L.reLU()),
  between("ReLU (maxValue 0.5)", () => L.reLU({ maxValue: 0.5 })),
  between("LeakyReLU (alpha 0.2)", () => L.leakyReLU({ alpha: 0.2 })),
  between("PReLU", () => L.prelu()),
  afterConv2d("PReLU (sharedAxes [1, 2])", () => [L.prelu({ sharedAxes: [1, 2] })]),
  between("ELU", () => L.elu()),
  {
    // tfjs has no gradient for Greater (the mask); the oracle masks with step(), whose gradient is 0.
    ...between("ThresholdedReLU (theta 0.3)", () => L.thresholdedReLU({ theta: 0.3 })),
    reference: () => (p, x) => {
      const h = dense(p, x as tf.Tensor, "pre");
      return dense(p, tf.mul(h, tf.step(tf.sub(h, 0.3))), "head");
    },
  },
  between("Softmax", () => L.softmax()),

  // Pooling
  afterConv1d("MaxPooling1D", () => [L.maxPooling1d({ poolSize: 2 })]),
  afterConv1d(
    "MaxPooling1D (same, poolSize 3, strides 2)",
    () => [L.maxPooling1d({ poolSize: 3, strides: 2, padding: "same" })],
  ),
  afterConv1d("AveragePooling1D", () => [L.averagePooling1d({ poolSize: 2 })]),
  {
    // tfjs-cpu's AvgPoolGrad divides by the full window at 'same' borders; its forward (and we) by the count.
    ...afterConv1d(
      "AveragePooling1D (same, poolSize 3, strides 2)",
      () => [L.averagePooling1d({ poolSize: 3, strides: 2, padding: "same" })],
    ),
    reference: () => (p, x) =>
      flatHead(p, tf.squeeze(poolSame(tf.expandDims(conv1dPre(p, x), 2), [3, 1], [2, 1], "avg"), [2])),
  },
  afterConv2d("MaxPooling2D", () => [L.maxPooling2d({ poolSize: 2 })]),
  afterConv2d(
    "MaxPooling2D (same, poolSize [3, 2], strides 1)",
    () => [L.maxPooling2d({ poolSize: [3, 2], strides: 1, padding: "same" })],
  ),
  seq("MaxPooling2D (channelsFirst)", [2, 5, 6], () => [
    L.conv2d({ filters: 3, kernelSize: 2, dataFormat: "channelsFirst", activation: "tanh" }),
    L.maxPooling2d({ poolSize: 2, dataFormat: "channelsFirst" }),
    L.flatten(),
    L.dense({ units: 2 }),
  ]),
  afterConv2d("AveragePooling2D", () => [L.averagePooling2d({ poolSize: 2 })]),
  {
    // As AveragePooling1D (same).
    ...afterConv2d(
      "AveragePooling2D (same, poolSize [3, 2], strides 1)",
      () => [L.averagePooling2d({ poolSize: [3, 2], strides: 1, padding: "same" })],
    ),
    reference: afterConv2dRef((h) => poolSame(h, [3, 2], [1, 1], "avg")),
  },
  afterConv3d("MaxPooling3D", () => L.maxPooling3d({ poolSize: 2 })),
  afterConv3d("AveragePooling3D", () => L.averagePooling3d({ poolSize: [2, 2, 3], strides: [1, 2, 2] })),
  {
    ...afterConv3d(
      "MaxPooling3D (same, strides 2)",
      () => L.maxPooling3d({ poolSize: [2, 3, 2], strides: 2, padding: "same" }),
    ),
    reference: () => (p, x) => flatHead(p, poolSame(conv3dPre(p, x), [2, 3, 2], [2, 2, 2], "max")),
  },
  {
    ...afterConv3d(
      "AveragePooling3D (same, strides 2)",
      () => L.averagePooling3d({ poolSize: [2, 3, 2], strides: 2, padding: "same" }),
    ),
    reference: () => (p, x) => flatHead(p, poolSame(conv3dPre(p, x), [2, 3, 2], [2, 2, 2], "avg")),
  },
  afterConv1d("GlobalAveragePooling1D", () => [L.globalAveragePooling1d()], false),
  afterConv1d("GlobalMaxPooling1D", () => [L.globalMaxPooling1d()], false),
  afterConv2d("GlobalAveragePooling2D", () => [L.globalAveragePooling2d({})], false),
  afterConv2d("GlobalMaxPooling2D", () => [L.globalMaxPooling2d({})], false),

  // Reshaping, padding, resampling
  readout("Flatten", [4, 3], () => L.dense({ units: 5, activation: "tanh" })),
  seq(
    "Reshape",
    [4, 3],
    () => [L.dense({ units: 5, activation: "tanh" }), L.reshape({ targetShape: [2, 10] }), L.dense({ units: 2 })],
  ),
  seq(
    "Permute",
    [4, 3],
    () => [L.dense({ units: 5, activation: "tanh" }), L.permute({ dims: [2, 1] }), L.dense({ units: 2 })],
  ),
  seq(
    "RepeatVector",
    [4],
    () => [
      L.dense({ units: 5, activation: "tanh" }),
      L.repeatVector({ n: 3 }),
      L.simpleRNN({ units: 2, returnSequences: true }),
    ],
  ),
  afterConv2d("ZeroPadding2D", () => [L.zeroPadding2d({ padding: [[1, 0], [2, 1]] })]),
  afterConv2d("Cropping2D", () => [L.cropping2D({ cropping: [[1, 0], [2, 1]] })]),
  // The resize layers' oracles are matrix products (tfjs-cpu's resize gradients are wrong, see resizeRef).
  {
    ...afterConv2d("UpSampling2D (nearest)", () => [L.upSampling2d({ size: [2, 3] })]),
    reference: afterConv2dRef((h) => resizeRef(h, [8, 15], true, false)),
  },
  {
    ...afterConv2d("UpSampling2D (bilinear)", () => [L.upSampling2d({ size: [2, 3], interpolation: "bilinear" })]),
    reference: afterConv2dRef((h) => resizeRef(h, [8, 15], false, false)),
  },
  // Resizing resizes with alignCorners = !cropToAspectRatio = true.
  {
    ...afterConv2d("Resizing (bilinear)", () => [fixResizeLayer(L.resizing({ height: 6, width: 3 }), [6, 3])]),
    reference: afterConv2dRef((h) => resizeRef(h, [6, 3], false, true)),
  },
  {
    ...afterConv2d(
      "Resizing (nearest)",
      () => [fixResizeLayer(L.resizing({ height: 6, width: 3, interpolation: "nearest" }), [6, 3])],
    ),
    reference: afterConv2dRef((h) => resizeRef(h, [6, 3], true, true)),
  },
  {
    // Larger than its [4, 5] input: CenterCrop resizes (bilinear). Cropping is tested apart (unsupported).
    ...afterConv2d("CenterCrop (upsizing)", () => [fixResizeLayer(L.centerCrop({ height: 6, width: 7 }))]),
    reference: afterConv2dRef((h) => resizeRef(h, [6, 7], false, false)),
  },
  between("Rescaling", () => L.rescaling({ scale: 0.7, offset: -0.2 })),

  // Merge layers: functional models with two branches
  merged("Add", apply(() => L.add())),
  merged("Concatenate", apply(() => L.concatenate())),
  merged("Multiply", apply(() => L.multiply())),
  merged("Average", apply(() => L.average())),
  merged("Maximum", apply(() => L.maximum({}))),
  merged("Minimum", apply(() => L.minimum({}))),
  merged("Dot", apply(() => L.dot({ axes: -1 }))),
  merged("Dot (normalize)", apply(() => L.dot({ axes: -1, normalize: true }))),
  merged("Concatenate (axis 1 of 3-D)", apply(() => L.concatenate({ axis: 1 })), [4, 3]),

  // Identity at inference
  between("Dropout", () => L.dropout({ rate: 0.4 })),
  seq(
    "SpatialDropout1D",
    [4, 3],
    () => [L.dense({ units: 5 }), L.spatialDropout1d({ rate: 0.4 }), L.dense({ units: 2 })],
  ),
  between("GaussianNoise", () => L.gaussianNoise({ stddev: 0.5 })),
  between("GaussianDropout", () => L.gaussianDropout({ rate: 0.4 })),
  between("AlphaDropout", () => L.alphaDropout({ rate: 0.4 })),

  {
    // CategoryEncoding reads its ids (bufferSync) while running: fine, they do not depend on the
    // parameters (the tracer rejects only reads of parameter-dependent values).
    ...seq(
      "CategoryEncoding (multiHot) → Dense",
      [3],
      () => [L.categoryEncoding({ numTokens: 6, outputMode: "multiHot" }), L.dense({ units: 2 })],
    ),
    input: tokens(3, 6),
  },
  // Not here: RandomWidth (random at inference, so not a function of x; tfjs cannot even build
  // it in a Sequential), and CenterCrop's cropping branch (layers_test.ts: no CropAndResize rule).
];
