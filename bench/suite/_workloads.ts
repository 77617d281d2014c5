/**
 * The suite's workloads (issue 15), each built once here with deterministic weights and inputs;
 * `writePeerFiles` hands the same weights and inputs to the PyTorch peer (bench/peers/torch_suite.py)
 * as .npy files. Each workload also lists its layers by shape (`Layer`) for the roofline's formulas
 * (./_roofline.ts): the bound is computed from these shapes, never from the engine's counts.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { fromLayersModel, type ParamFn, writeNpy } from "../../mod.ts";
import { randn, rng } from "../../tests/_data.ts";
import { rnn } from "../_fns.ts";

/** A layer as the roofline's formulas see it (per example; `rows`: positions sharing the weights). */
export type Layer =
  | { type: "dense"; rows: number; in: number; out: number; bias: boolean; act: boolean }
  | { type: "conv"; outH: number; outW: number; k: number; cin: number; cout: number; bias: boolean; act: boolean }
  | { type: "depthwise"; outH: number; outW: number; k: number; c: number }
  | { type: "affine"; entries: number; channels: number; act: boolean } // inference BatchNorm (+ReLU6)
  | { type: "layernorm"; rows: number; d: number }
  | { type: "attention"; T: number; d: number; heads: number }
  | { type: "rnn"; T: number; features: number; hidden: number }
  | { type: "elementwise"; entries: number }; // residual add, mean pool

/** One suite cell's model, weights and inputs. */
export interface Workload {
  id: string;
  /** The peer's model (torch_suite.py MODELS). */
  kind: "cnn" | "mlp" | "mobilenet" | "transformer" | "rnn";
  description: string;
  N: number;
  O: number;
  f: ParamFn;
  params: Record<string, tf.Tensor>;
  x1: tf.Tensor;
  x2: tf.Tensor;
  layers: Layer[];
  /** Entries of one example's input (the roofline's bytes). */
  inputPerExample: number;
  /** Extra data for the peer (MobileNetV2: weights in torch's module order). */
  peer?: Record<string, unknown>;
  dispose(): void;
}

const n4 = (t: tf.Tensor) => t as tf.Tensor4D;

/**
 * CIFAR-like CNN: 32×32×3 → three 3×3 convolutions of 32 filters, 'same', strides 1, 2, 2, bias
 * and ReLU after each → flatten (NHWC order, 8·8·32 = 2048) → dense 10 with bias. We flatten rather
 * than pool: the CNN is "→ dense 10", and flatten keeps the readout as large as users have.
 */
export function cnnWorkload(N: number, seed = 100): Workload {
  const strides = [1, 2, 2];
  const f: ParamFn = (p, x) => {
    let h = n4(x as tf.Tensor);
    strides.forEach((s, l) => h = tf.relu(tf.add(tf.conv2d(h, n4(p[`k${l}`]), s, "same"), p[`b${l}`])));
    return tf.add(tf.matMul(tf.reshape(h, [h.shape[0], -1]), p.out), p.bout);
  };
  const params: Record<string, tf.Tensor> = {
    k0: randn([3, 3, 3, 32], seed + 1, Math.sqrt(2 / 27)),
    b0: randn([32], seed + 2, 0.1),
    k1: randn([3, 3, 32, 32], seed + 3, Math.sqrt(2 / 288)),
    b1: randn([32], seed + 4, 0.1),
    k2: randn([3, 3, 32, 32], seed + 5, Math.sqrt(2 / 288)),
    b2: randn([32], seed + 6, 0.1),
    out: randn([2048, 10], seed + 7, Math.sqrt(1 / 2048)),
    bout: randn([10], seed + 8, 0.1),
  };
  const sizes = [32, 32, 16, 8];
  const layers: Layer[] = strides.map((_, l) => ({
    type: "conv",
    outH: sizes[l + 1],
    outW: sizes[l + 1],
    k: 3,
    cin: l === 0 ? 3 : 32,
    cout: 32,
    bias: true,
    act: true,
  }));
  layers.push({ type: "dense", rows: 1, in: 2048, out: 10, bias: true, act: false });
  return make("cnn", `cnn 32×32×3 3×conv32 (s 1,2,2) flatten→10 N=${N}`, "CIFAR-like CNN", N, 10, f, params, {
    x1: randn([N, 32, 32, 3], seed + 9),
    x2: randn([N, 32, 32, 3], seed + 10),
    layers,
    inputPerExample: 32 * 32 * 3,
  });
}

/** MLP 784 → 512 → 512 → 10, bias and ReLU. */
export function mlpWorkload(N: number, seed = 200): Workload {
  const f: ParamFn = (p, x) => {
    const h1 = tf.relu(tf.add(tf.matMul(x as tf.Tensor, p.w1), p.b1));
    const h2 = tf.relu(tf.add(tf.matMul(h1, p.w2), p.b2));
    return tf.add(tf.matMul(h2, p.w3), p.b3);
  };
  const params = {
    w1: randn([784, 512], seed + 1, Math.sqrt(2 / 784)),
    b1: randn([512], seed + 2, 0.1),
    w2: randn([512, 512], seed + 3, Math.sqrt(2 / 512)),
    b2: randn([512], seed + 4, 0.1),
    w3: randn([512, 10], seed + 5, Math.sqrt(1 / 512)),
    b3: randn([10], seed + 6, 0.1),
  };
  const dims = [784, 512, 512, 10];
  const layers: Layer[] = [0, 1, 2].map((l) => ({
    type: "dense",
    rows: 1,
    in: dims[l],
    out: dims[l + 1],
    bias: true,
    act: l < 2,
  }));
  return make("mlp", `mlp 784→512→512→10 N=${N}`, "MLP", N, 10, f, params, {
    x1: randn([N, 784], seed + 7),
    x2: randn([N, 784], seed + 8),
    layers,
    inputPerExample: 784,
  });
}

/**
 * A transformer encoder block, post-LayerNorm: x [N, 32, 64] → h = LN(x + MHA(x)) (4 heads of
 * 16, projections with bias) → LN(h + W2·relu(W1·h)) (64 → 128 → 64) → mean over the sequence →
 * dense 10. LayerNorm's ε is 1e-5, as torch's.
 */
export function transformerWorkload(N: number, seed = 300, T = 32, d = 64, heads = 4, dff = 128): Workload {
  const dh = d / heads;
  const dense = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.add(tf.matMul(x, w), b);
  const layerNorm = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
    const mu = tf.mean(x, -1, true);
    const c = tf.sub(x, mu);
    const v = tf.mean(tf.square(c), -1, true);
    return tf.add(tf.mul(tf.mul(c, tf.rsqrt(tf.add(v, 1e-5))), g), b);
  };
  const f: ParamFn = (p, x) => {
    const xs = x as tf.Tensor3D;
    const n = xs.shape[0];
    const split = (t: tf.Tensor) => tf.transpose(tf.reshape(t, [n, T, heads, dh]), [0, 2, 1, 3]);
    const q = split(dense(xs, p.wq, p.bq)), k = split(dense(xs, p.wk, p.bk)), v = split(dense(xs, p.wv, p.bv));
    const scores = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dh));
    const o = tf.reshape(tf.transpose(tf.matMul(tf.softmax(scores), v), [0, 2, 1, 3]), [n, T, d]);
    const h = layerNorm(tf.add(xs, dense(o, p.wo, p.bo)), p.g1, p.be1);
    const m = dense(tf.relu(dense(h, p.w1, p.b1)), p.w2, p.b2);
    const h2 = layerNorm(tf.add(h, m), p.g2, p.be2);
    return dense(tf.mean(h2, 1), p.wout, p.bout);
  };
  let s = seed;
  const w = (shape: number[], scale: number) => randn(shape, ++s, scale);
  const params = {
    wq: w([d, d], 1 / Math.sqrt(d)),
    bq: w([d], 0.1),
    wk: w([d, d], 1 / Math.sqrt(d)),
    bk: w([d], 0.1),
    wv: w([d, d], 1 / Math.sqrt(d)),
    bv: w([d], 0.1),
    wo: w([d, d], 1 / Math.sqrt(d)),
    bo: w([d], 0.1),
    g1: tf.add(1, w([d], 0.1)),
    be1: w([d], 0.1),
    w1: w([d, dff], Math.sqrt(2 / d)),
    b1: w([dff], 0.1),
    w2: w([dff, d], 1 / Math.sqrt(dff)),
    b2: w([d], 0.1),
    g2: tf.add(1, w([d], 0.1)),
    be2: w([d], 0.1),
    wout: w([d, 10], 1 / Math.sqrt(d)),
    bout: w([10], 0.1),
  };
  const proj = (act = false, i = d, o = d): Layer => ({ type: "dense", rows: T, in: i, out: o, bias: true, act });
  const layers: Layer[] = [
    proj(),
    proj(),
    proj(),
    { type: "attention", T, d, heads },
    proj(),
    { type: "elementwise", entries: T * d },
    { type: "layernorm", rows: T, d },
    proj(true, d, dff),
    proj(false, dff, d),
    { type: "elementwise", entries: T * d },
    { type: "layernorm", rows: T, d },
    { type: "elementwise", entries: T * d },
    { type: "dense", rows: 1, in: d, out: 10, bias: true, act: false },
  ];
  return make(
    "transformer",
    `transformer T=${T} d=${d} h=${heads} →10 N=${N}`,
    "transformer encoder block",
    N,
    10,
    f,
    params,
    {
      x1: randn([N, T, d], ++s),
      x2: randn([N, T, d], ++s),
      layers,
      inputPerExample: T * d,
    },
  );
}

/** The RNN of bench/_fns.ts: h ← tanh(x_t·w + h·u), T = 16, H = 128, 8 features, readout O = 1. */
export function rnnWorkload(N: number, seed = 400): Workload {
  const params = {
    w: randn([8, 128], seed + 1, 0.35),
    u: randn([128, 128], seed + 2, 0.088),
    out: randn([128, 1], seed + 3, 0.088),
  };
  return make("rnn", `rnn T=16 H=128 F=8 O=1 N=${N}`, "RNN (bench/_fns.ts)", N, 1, rnn, params, {
    x1: randn([N, 16, 8], seed + 4),
    x2: randn([N, 16, 8], seed + 5),
    layers: [
      { type: "rnn", T: 16, features: 8, hidden: 128 },
      { type: "dense", rows: 1, in: 128, out: 1, bias: false, act: false },
    ],
    inputPerExample: 16 * 8,
  });
}

/** torchvision's MobileNetV2 settings: expansion t, channels c, repeats n, first stride s. */
const MOBILENET_V2 = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [
  6,
  320,
  1,
  1,
]];

/**
 * MobileNetV2 (width 1.0, 5 classes) built in code from tfjs-layers as torchvision builds it:
 * convolutions without bias, BatchNorm (ε 1e-5, inference mode) and ReLU6, inverted residuals,
 * 1×1 conv to 1280, global mean pool, dense 5 (torch's dropout is the identity in eval mode).
 * Stride-2 convolutions pad 1 on every side first (ZeroPadding2D + 'valid'), as torch does;
 * tfjs's 'same' would pad bottom/right only. `peer.modules` lists the weights in torch's module
 * order (Conv2d, BatchNorm2d, Linear) for the peer to copy. The BatchNorm statistics and affine
 * weights are randomised so that they matter.
 */
export function mobilenetWorkload(N: number, size = 224, seed = 500): Workload {
  const r = rng(seed);
  const modules: { kind: "conv" | "depthwise" | "bn" | "dense"; layer: tf.layers.Layer }[] = [];
  const layers: Layer[] = [];
  const uniform = (lo: number, hi: number) =>
    tf.initializers.randomUniform({ minval: lo, maxval: hi, seed: r() * 1e6 });
  const normal = (std: number) => tf.initializers.randomNormal({ mean: 0, stddev: std, seed: r() * 1e6 });
  let hw = size;
  const bn = (x: tf.SymbolicTensor, c: number, act: boolean) => {
    const l = tf.layers.batchNormalization({
      epsilon: 1e-5,
      gammaInitializer: uniform(0.5, 1.5),
      betaInitializer: normal(0.1),
      movingMeanInitializer: normal(0.1),
      movingVarianceInitializer: uniform(0.5, 1.5),
    });
    modules.push({ kind: "bn", layer: l });
    layers.push({ type: "affine", entries: hw * hw * c, channels: c, act });
    const y = l.apply(x) as tf.SymbolicTensor;
    return act ? tf.layers.reLU({ maxValue: 6 }).apply(y) as tf.SymbolicTensor : y;
  };
  const conv = (x: tf.SymbolicTensor, cin: number, cout: number, k: number, stride: number, act: boolean) => {
    if (stride === 2) x = tf.layers.zeroPadding2d({ padding: 1 }).apply(x) as tf.SymbolicTensor;
    const l = tf.layers.conv2d({
      filters: cout,
      kernelSize: k,
      strides: stride,
      padding: stride === 2 ? "valid" : "same",
      useBias: false,
      kernelInitializer: tf.initializers.heNormal({ seed: r() * 1e6 }),
    });
    modules.push({ kind: "conv", layer: l });
    hw = stride === 2 ? Math.floor((hw + 2 - k) / 2) + 1 : hw;
    layers.push({ type: "conv", outH: hw, outW: hw, k, cin, cout, bias: false, act: false });
    return bn(l.apply(x) as tf.SymbolicTensor, cout, act);
  };
  const depthwise = (x: tf.SymbolicTensor, c: number, stride: number) => {
    if (stride === 2) x = tf.layers.zeroPadding2d({ padding: 1 }).apply(x) as tf.SymbolicTensor;
    const l = tf.layers.depthwiseConv2d({
      kernelSize: 3,
      strides: stride,
      padding: stride === 2 ? "valid" : "same",
      useBias: false,
      depthwiseInitializer: tf.initializers.heNormal({ seed: r() * 1e6 }),
    });
    modules.push({ kind: "depthwise", layer: l });
    hw = stride === 2 ? Math.floor((hw + 2 - 3) / 2) + 1 : hw;
    layers.push({ type: "depthwise", outH: hw, outW: hw, k: 3, c });
    return bn(l.apply(x) as tf.SymbolicTensor, c, true);
  };
  const input = tf.input({ shape: [size, size, 3] });
  let h = conv(input, 3, 32, 3, 2, true);
  let cin = 32;
  for (const [t, c, n, s] of MOBILENET_V2) {
    for (let i = 0; i < n; i++) {
      const stride = i === 0 ? s : 1;
      const hidden = cin * t;
      let y = h;
      if (t !== 1) y = conv(y, cin, hidden, 1, 1, true);
      y = depthwise(y, hidden, stride);
      y = conv(y, hidden, c, 1, 1, false);
      if (stride === 1 && cin === c) {
        y = tf.layers.add().apply([h, y]) as tf.SymbolicTensor;
        layers.push({ type: "elementwise", entries: hw * hw * c });
      }
      h = y;
      cin = c;
    }
  }
  h = conv(h, cin, 1280, 1, 1, true);
  h = tf.layers.globalAveragePooling2d({}).apply(h) as tf.SymbolicTensor;
  layers.push({ type: "elementwise", entries: hw * hw * 1280 });
  const head = tf.layers.dense({ units: 5, kernelInitializer: normal(0.01), biasInitializer: normal(0.1) });
  modules.push({ kind: "dense", layer: head });
  layers.push({ type: "dense", rows: 1, in: 1280, out: 5, bias: true, act: false });
  const model = tf.model({ inputs: input, outputs: head.apply(h) as tf.SymbolicTensor });
  const { f, params } = fromLayersModel(model);
  const x1 = randn([N, size, size, 3], seed + 1), x2 = randn([N, size, size, 3], seed + 2);
  const w = make("mobilenet", `mobilenetv2 ${size}×${size} →5 N=${N}`, "MobileNetV2 (tfjs-layers)", N, 5, f, params, {
    x1,
    x2,
    layers,
    inputPerExample: size * size * 3,
  });
  w.peer = { modules, size };
  w.dispose = () => (tf.dispose([x1, x2]), model.dispose());
  return w;
}

function make(
  kind: Workload["kind"],
  id: string,
  description: string,
  N: number,
  O: number,
  f: ParamFn,
  params: Record<string, tf.Tensor>,
  rest: Pick<Workload, "x1" | "x2" | "layers" | "inputPerExample">,
): Workload {
  return {
    kind,
    id,
    description,
    N,
    O,
    f,
    params,
    ...rest,
    dispose: () => tf.dispose([rest.x1, rest.x2, ...Object.values(params)]),
  };
}

/**
 * Writes what the peer needs into `dir`: x1.npy, x2.npy, and the weights — p_<name>.npy with
 * order.json for the function models; for MobileNetV2, m<i>_<weight>.npy in torch's module order
 * with modules.json (tfjs layouts: the peer transposes).
 */
export async function writePeerFiles(w: Workload, dir: string): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  await writeNpy(`${dir}/x1.npy`, w.x1);
  await writeNpy(`${dir}/x2.npy`, w.x2);
  if (w.kind !== "mobilenet") {
    const order = Object.keys(w.params);
    await Deno.writeTextFile(`${dir}/order.json`, JSON.stringify(order));
    for (const n of order) await writeNpy(`${dir}/p_${n}.npy`, w.params[n]);
    return;
  }
  const modules = w.peer!.modules as { kind: string; layer: tf.layers.Layer }[];
  const list = [];
  for (const [i, m] of modules.entries()) {
    const names = m.layer.getWeights().map((_, j) => `m${i}_${j}`);
    const weights = m.layer.getWeights();
    for (const [j, t] of weights.entries()) await writeNpy(`${dir}/${names[j]}.npy`, t);
    // tfjs orders BatchNorm weights gamma, beta, moving mean, moving variance; conv kernel
    // [kh, kw, in, out]; depthwise [kh, kw, in, 1]; dense kernel [in, out] then bias.
    list.push({ kind: m.kind, files: names });
  }
  await Deno.writeTextFile(`${dir}/modules.json`, JSON.stringify({ modules: list, size: w.peer!.size }));
}

/** The suite's cells at full size, or at smoke size (< 60 s with the peer). */
export function suite(smoke: boolean): (() => Workload)[] {
  if (smoke) {
    return [
      () => cnnWorkload(3),
      () => mlpWorkload(4),
      () => mobilenetWorkload(1, 32),
      () => transformerWorkload(3),
      () => rnnWorkload(4),
    ];
  }
  return [
    () => cnnWorkload(64),
    () => cnnWorkload(256),
    () => mlpWorkload(256),
    () => mlpWorkload(1024),
    () => mobilenetWorkload(8),
    () => transformerWorkload(64),
    () => rnnWorkload(32),
  ];
}
