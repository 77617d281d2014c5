// Prod(x; axis, keepDims): dy = Σ dx · Π(the other reduced entries) over the reduced axes. The
// coefficient is computed as tfjs's gradient does (forward and reverse exclusive cumprods over
// the flattened reduced axes), so it is exact where x has zeros.
import * as tf from "@tensorflow/tfjs";
import type { KernelRule } from "./types.ts";
import type { ProdAttrs } from "@tensorflow/tfjs";
import * as E from "./_emit.ts";
import { reductionAxes } from "./_reduce.ts";
import { invertPermutation, range } from "../../src/core/axes.ts";

function productOfOthers(x: tf.Tensor, axes: number[]): tf.Tensor {
  const perm = [...range(x.rank).filter((a) => !axes.includes(a)), ...axes];
  const moved = tf.transpose(x, perm);
  const keep = moved.shape.slice(0, x.rank - axes.length);
  const flat = tf.reshape(moved, [...keep, -1]);
  const last = flat.rank - 1;
  // The reverse cumprod as rev → cumprod → rev: tfjs-webgpu's reverse cumprod reuses a shader
  // compiled for another axis length.
  const after = tf.reverse(tf.cumprod(tf.reverse(flat, last), last, true, false), last);
  const others = tf.mul(tf.cumprod(flat, last, true, false), after);
  return tf.transpose(tf.reshape(others, moved.shape), invertPermutation(perm));
}

export const Prod: KernelRule<ProdAttrs> = {
  linearize(k) {
    const x = k.input("x")!;
    const axes = reductionAxes(k.attrs.axis, x.rank);
    const dy = E.reduceSum(k, E.mul(k, k.tangent("x"), productOfOthers(x, axes)), axes);
    k.setTangent(0, E.reshape(k, dy, k.outputs[0].shape));
  },
};
