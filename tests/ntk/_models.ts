/**
 * Small models written as f(params, x) with tfjs ops, and deterministic parameter/input makers,
 * shared by the NTK tests and benchmarks.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { randn } from "../_data.ts";

export type Params = Record<string, tf.Tensor>;
export type Model = {
  name: string;
  f: (p: Params, x: tf.Tensor | tf.Tensor[]) => tf.Tensor;
  params: () => Params;
  input: (n: number, seed: number) => tf.Tensor;
};

const dense = (x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor) => (b ? tf.add(tf.matMul(x, w), b) : tf.matMul(x, w));

/** An MLP in → width (act) → width (act) → out, scaled like the NTK parameterization. */
export function mlp(
  act: "relu" | "tanh" | "sigmoid" | "softplus",
  opts: { bias?: boolean; inputDim?: number; width?: number; out?: number } = {},
): Model {
  const { bias = true, inputDim = 3, width = 8, out = 2 } = opts;
  const a = (t: tf.Tensor) => tf[act](t);
  return {
    name: `${act} MLP${bias ? "" : " without bias"}`,
    f: (p, x) => {
      const h1 = a(dense(x as tf.Tensor, p.w1, p.b1));
      const h2 = a(dense(h1, p.w2, p.b2));
      return dense(h2, p.w3, p.b3);
    },
    params: () => ({
      w1: randn([inputDim, width], 11, 1 / Math.sqrt(inputDim)),
      w2: randn([width, width], 12, 1 / Math.sqrt(width)),
      w3: randn([width, out], 13, 1 / Math.sqrt(width)),
      ...(bias ? { b1: randn([width], 14, 0.1), b2: randn([width], 15, 0.1), b3: randn([out], 16, 0.1) } : {}),
    }),
    input: (n, seed) => randn([n, inputDim], seed),
  };
}

/** conv 3×3 (relu) → conv 3×3 stride 2 (tanh) → flatten → dense. */
export function convNet(opts: { size?: number; channels?: number; out?: number } = {}): Model {
  const { size = 6, channels = 4, out = 3 } = opts;
  const s2 = Math.floor((size - 1) / 2) + 1;
  return {
    name: "conv net",
    f: (p, x) => {
      const h1 = tf.relu(tf.add(tf.conv2d(x as tf.Tensor4D, p.k1 as tf.Tensor4D, 1, "same"), p.c1));
      const h2 = tf.tanh(tf.conv2d(h1 as tf.Tensor4D, p.k2 as tf.Tensor4D, 2, "same"));
      return tf.matMul(tf.reshape(h2, [h2.shape[0], -1]), p.w);
    },
    params: () => ({
      k1: randn([3, 3, 2, channels], 21, 1 / 3),
      c1: randn([channels], 22, 0.1),
      k2: randn([3, 3, channels, channels], 23, 1 / 6),
      w: randn([s2 * s2 * channels, out], 24, 1 / Math.sqrt(s2 * s2 * channels)),
    }),
    input: (n, seed) => randn([n, size, size, 2], seed),
  };
}

/** One square weight used twice: w2 · relu(w1 · relu(w1 · x)). */
export function sharedWeight(): Model {
  return {
    name: "weight used twice",
    f: (p, x) => tf.matMul(tf.relu(tf.matMul(tf.relu(tf.matMul(x as tf.Tensor, p.w1)), p.w1)), p.w2),
    params: () => ({ w1: randn([4, 4], 31, 0.5), w2: randn([4, 3], 32, 0.5) }),
    input: (n, seed) => randn([n, 4], seed),
  };
}

/** A weight scaled before use, as in standard-parameterization code: (c·W) x. */
export function scaledWeight(c = 0.37): Model {
  return {
    name: "weight scaled before use",
    f: (p, x) => tf.matMul(tf.tanh(tf.matMul(x as tf.Tensor, tf.mul(p.w1, c))), p.w2),
    params: () => ({ w1: randn([3, 5], 41), w2: randn([5, 2], 42) }),
    input: (n, seed) => randn([n, 3], seed),
  };
}

/** Broadcasting: elementwise scale and shift of the input by parameters, then a dense layer. */
export function broadcasting(): Model {
  return {
    name: "broadcasting",
    f: (p, x) => tf.matMul(tf.sigmoid(tf.add(tf.mul(x as tf.Tensor, p.scale), p.shift)), p.w),
    params: () => ({ scale: randn([5], 51), shift: randn([1, 5], 52), w: randn([5, 3], 53) }),
    input: (n, seed) => randn([n, 5], seed),
  };
}

/**
 * A rank-3 output: a dense layer at every time step, [N, T, F] → [N, T, O], by merging the
 * example and time axes as tfjs-layers' Dense does on 3-D input.
 */
export function timeDense(): Model {
  const perStep = (x: tf.Tensor, w: tf.Tensor) => {
    const [n, t, f] = x.shape;
    return tf.reshape(tf.matMul(tf.reshape(x, [n * t, f]), w), [n, t, -1]);
  };
  return {
    name: "rank-3 output",
    f: (p, x) => tf.add(perStep(tf.tanh(perStep(x as tf.Tensor, p.w1)), p.w2), p.b),
    params: () => ({ w1: randn([3, 6], 61), w2: randn([6, 2], 62), b: randn([2], 63) }),
    input: (n, seed) => randn([n, 4, 3], seed),
  };
}

/** An Elman RNN over T steps with shared weights, reading the last state. */
export function rnn(steps = 3): Model {
  return {
    name: "RNN",
    f: (p, x) => {
      const xs = tf.unstack(x as tf.Tensor, 1);
      let h = tf.zeros([xs[0].shape[0], 5]);
      for (let t = 0; t < steps; t++) h = tf.tanh(tf.add(tf.add(tf.matMul(xs[t], p.wx), tf.matMul(h, p.wh)), p.b));
      return tf.matMul(h, p.wo);
    },
    params: () => ({
      wx: randn([3, 5], 71, 0.5),
      wh: randn([5, 5], 72, 0.4),
      b: randn([5], 73, 0.1),
      wo: randn([5, 2], 74),
    }),
    input: (n, seed) => randn([n, steps, 3], seed),
  };
}

/** Token ids → embedding → mean over the sequence → dense. */
export function embedding(vocab = 11, dim = 4, len = 5): Model {
  return {
    name: "embedding",
    f: (p, x) => tf.matMul(tf.mean(tf.gather(p.emb, x as tf.Tensor), 1), p.w),
    params: () => ({ emb: randn([vocab, dim], 81), w: randn([dim, 3], 82) }),
    input: (n, seed) => {
      const ids = new Int32Array(n * len);
      for (let i = 0; i < ids.length; i++) ids[i] = (i * 7 + seed * 3) % vocab;
      return tf.tensor(ids, [n, len], "int32");
    },
  };
}

/** Batch-statistics normalization (training-mode batch norm): rows interact. */
export function batchStats(): Model {
  return {
    name: "batch statistics",
    f: (p, x) => {
      const h = tf.matMul(x as tf.Tensor, p.w1);
      const centered = tf.sub(h, tf.mean(h, 0, true));
      return tf.matMul(tf.tanh(centered), p.w2);
    },
    params: () => ({ w1: randn([3, 5], 91), w2: randn([5, 2], 92) }),
    input: (n, seed) => randn([n, 3], seed),
  };
}

/** The paper's FCN: input 3, `depth` hidden ReLU layers of `width`, output `out`, no bias. */
export function paperFcn(width: number, out: number, depth = 10): Model {
  return {
    name: `FCN W=${width} O=${out}`,
    f: (p, x) => {
      let h = x as tf.Tensor;
      for (let l = 0; l < depth; l++) h = tf.relu(tf.matMul(h, p[`w${l}`]));
      return tf.matMul(h, p.out);
    },
    params: () => {
      const p: Params = {};
      for (let l = 0; l < depth; l++) {
        p[`w${l}`] = randn([l === 0 ? 3 : width, width], 100 + l, Math.sqrt(2 / (l === 0 ? 3 : width)));
      }
      p.out = randn([width, out], 99, 1 / Math.sqrt(width));
      return p;
    },
    input: (n, seed) => randn([n, 3], seed),
  };
}
