/**
 * A model whose parameters are a tree (records and arrays, nested) and whose f takes extra
 * arguments (a mask tensor and a `training` flag); also its flat twin, written by hand from the
 * leaves' paths (independent of the library's flattening). A module, so workers can load `f`.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { randn } from "./_data.ts";

/** The tree: an encoder of blocks (an array of records), a head (an array), a scale. */
export interface Tree {
  encoder: { blocks: { kernel: tf.Tensor; bias: tf.Tensor }[] };
  head: [tf.Tensor, tf.Tensor];
  scale: { gain: tf.Tensor };
}

export const IN = 3, WIDTH = 6, OUT = 2;

/** Fresh parameters (seeded: the same on every call and backend). */
export function treeParams(seed = 1): Tree {
  return {
    encoder: {
      blocks: [
        { kernel: randn([IN, WIDTH], seed, 0.8), bias: randn([WIDTH], seed + 1, 0.1) },
        { kernel: randn([WIDTH, WIDTH], seed + 2, 0.5), bias: randn([WIDTH], seed + 3, 0.1) },
      ],
    },
    head: [randn([WIDTH, OUT], seed + 4, 0.5), randn([OUT], seed + 5, 0.1)],
    scale: { gain: randn([OUT], seed + 6, 1) },
  };
}

/** Every leaf's path, in the tree's order. */
export const PATHS = [
  "encoder/blocks/0/kernel",
  "encoder/blocks/0/bias",
  "encoder/blocks/1/kernel",
  "encoder/blocks/1/bias",
  "head/0",
  "head/1",
  "scale/gain",
];

/**
 * f(tree, x, mask?, training?): tanh blocks; the hidden units times `mask` ([WIDTH], a constant);
 * with `training`, a ReLU before the head (so the flag changes the kernel).
 */
export function treeF(p: Tree, x: tf.Tensor | tf.Tensor[], mask?: tf.Tensor, training?: boolean): tf.Tensor {
  let h = x as tf.Tensor;
  for (const b of p.encoder.blocks) h = tf.tanh(tf.add(tf.matMul(h, b.kernel), b.bias));
  if (mask) h = tf.mul(h, mask);
  if (training) h = tf.relu(h);
  return tf.mul(tf.add(tf.matMul(h, p.head[0]), p.head[1]), p.scale.gain);
}

/** The same leaves as a flat record keyed by path (written out, not by flattenParams). */
export function byPath(p: Tree): Record<string, tf.Tensor> {
  const [b0, b1] = p.encoder.blocks;
  const leaves = [b0.kernel, b0.bias, b1.kernel, b1.bias, p.head[0], p.head[1], p.scale.gain];
  return Object.fromEntries(PATHS.map((path, i) => [path, leaves[i]]));
}

/** f on the flat record, the extra arguments closed over: what a caller writes by hand today. */
export function flatF(mask?: tf.Tensor, training?: boolean) {
  return (q: Record<string, tf.Tensor>, x: tf.Tensor | tf.Tensor[]): tf.Tensor =>
    treeF(
      {
        encoder: {
          blocks: [
            { kernel: q["encoder/blocks/0/kernel"], bias: q["encoder/blocks/0/bias"] },
            { kernel: q["encoder/blocks/1/kernel"], bias: q["encoder/blocks/1/bias"] },
          ],
        },
        head: [q["head/0"], q["head/1"]],
        scale: { gain: q["scale/gain"] },
      },
      x,
      mask,
      training,
    );
}

/** A constant mask of the hidden units. */
export function mask(): tf.Tensor {
  return tf.tensor1d([1, 0.5, 0, 1, 2, 1]);
}
