// Shared by select_and_gather_add and select_and_scatter_add: reading / scatter-adding at
// fixed flat positions, with lead axes moved behind so one gather serves every basis vector.
import * as tf from "@tensorflow/tfjs";
import { numel } from "../src/core/axes.ts";

/** Reads `t` (`[...lead, ...from]`) at flat `positions` → `[...lead, ...positions.shape]`. */
export function gatherFlat(t: tf.Tensor, positions: tf.Tensor, from: readonly number[], lead: number): tf.Tensor {
  const ld = t.shape.slice(0, lead);
  const l = numel(ld);
  const cols = tf.transpose(tf.reshape(t, [l, numel(from)]));
  const picked = tf.gather(cols, tf.reshape(positions, [-1]), 0);
  return tf.reshape(tf.transpose(picked), [...ld, ...positions.shape]);
}

/** Scatter-adds `ct` (`[...lead, ...positions.shape]`) at flat `positions` into `[...lead, ...to]`. */
export function scatterFlat(ct: tf.Tensor, positions: tf.Tensor, to: readonly number[], lead: number): tf.Tensor {
  const ld = ct.shape.slice(0, lead);
  const l = numel(ld);
  const m = numel(positions.shape);
  const updates = tf.transpose(tf.reshape(ct, [l, m]));
  const out = tf.scatterND(tf.reshape(positions, [m, 1]), updates, [numel(to), l]);
  return tf.reshape(tf.transpose(out), [...ld, ...to]);
}
