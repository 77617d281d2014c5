/**
 * The report's model functions as module exports, so that workers can load them.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { ParamFn } from "../mod.ts";
import { paperFcn } from "../tests/ntk/_models.ts";

/** The paper's FCN: 10 ReLU layers, no bias; width and output size come from the params. */
export const fcn: ParamFn = paperFcn(1, 1).f;

/** 3 conv layers (3×3, "same", ReLU), global mean pool, dense readout. */
export const cnn: ParamFn = (p, x) => {
  let h = x as tf.Tensor4D;
  for (let l = 0; l < 3; l++) h = tf.relu(tf.conv2d(h, p[`k${l}`] as tf.Tensor4D, 1, "same"));
  return tf.matMul(tf.mean(h, [1, 2]), p.out);
};

/**
 * A plain RNN, h ← tanh(x_t·w + h·u) over the input's time axis, then a dense readout: its
 * weights are used at every step, so structured derivatives pay a term per pair of steps.
 */
export const rnn: ParamFn = (p, x) => {
  const steps = tf.unstack(x as tf.Tensor, 1);
  let h = tf.zeros([steps[0].shape[0], p.u.shape[0]]);
  for (const xt of steps) h = tf.tanh(tf.add(tf.matMul(xt, p.w), tf.matMul(h, p.u)));
  return tf.matMul(h, p.out);
};
