// Per-equation memo for tensors derived from consts (patches, masks), freed with the program.
import * as tf from "@tensorflow/tfjs";
import type { Eqn } from "../src/core/ir.ts";

export function cached(eqn: Eqn, key: string, make: () => tf.Tensor): tf.Tensor {
  eqn.cache ??= new Map();
  let t = eqn.cache.get(key);
  if (!t) {
    t = tf.keep(tf.tidy(make));
    eqn.cache.set(key, t);
  }
  return t;
}
