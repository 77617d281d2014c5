/**
 * Argument checks at the public boundary: float parameters, matching feature shapes, finite
 * values. Each failure is a named error naming the argument.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { DTypeError, NonFiniteInputError, ShapeMismatchError } from "./errors.ts";
import { floatMask } from "./tensor_util.ts";
import type { Tensor } from "./types.ts";

/** A model input: one tensor, or several (multi-input models), the examples along axis 0. */
export type Input = Tensor | Tensor[];

export function asList(x: Input): Tensor[] {
  return Array.isArray(x) ? x : [x];
}

/** Checks structure, dtypes and shapes; values are checked by `checkFinite`. */
export function checkArguments(x1: Input, x2: Input | null, params: Record<string, Tensor>): void {
  if (params === null || typeof params !== "object") {
    throw new ShapeMismatchError("params", typeof params, "expected an object of named tensors");
  }
  for (const [name, p] of Object.entries(params)) {
    if (!(p instanceof tf.Tensor)) throw new ShapeMismatchError(`params["${name}"]`, typeof p, "expected a tf.Tensor");
    if (p.isDisposed) throw new ShapeMismatchError(`params["${name}"]`, "disposed", "the tensor is disposed");
    if (p.dtype !== "float32") throw new DTypeError(`params["${name}"]`, p.dtype, "float32");
  }
  const l1 = asList(x1);
  l1.forEach((t, i) => checkInput(t, l1.length > 1 ? `x1[${i}]` : "x1"));
  if (x2 === null) return;
  const l2 = asList(x2);
  if (l1.length !== l2.length) {
    throw new ShapeMismatchError("x2", l2.length, `expected ${l1.length} input tensor(s) like x1`);
  }
  l2.forEach((t, i) => {
    const name = l2.length > 1 ? `x2[${i}]` : "x2";
    checkInput(t, name);
    const [f1, f2] = [l1[i].shape.slice(1), t.shape.slice(1)];
    if (f1.length !== f2.length || f1.some((s, j) => s !== f2[j])) {
      throw new ShapeMismatchError(name, t.shape, `its feature shape [${f2}] differs from x1's [${f1}]`);
    }
    if (t.dtype !== l1[i].dtype) throw new DTypeError(name, t.dtype, l1[i].dtype);
  });
}

function checkInput(t: tf.Tensor, name: string): void {
  if (!(t instanceof tf.Tensor)) throw new ShapeMismatchError(name, typeof t, "expected a tf.Tensor");
  if (t.isDisposed) throw new ShapeMismatchError(name, "disposed", "the tensor is disposed");
  if (t.rank < 1) throw new ShapeMismatchError(name, t.shape, "expected a leading example axis");
  if (!["float32", "int32"].includes(t.dtype)) throw new DTypeError(name, t.dtype, "float32 or int32");
}

/** Throws NonFiniteInputError naming the first argument holding NaN or ±Infinity. */
export async function checkFinite(named: [string, Tensor][]): Promise<void> {
  const floats = named.filter(([, t]) => t.dtype === "float32" && t.size > 0);
  if (!floats.length) return;
  const flags = tf.tidy(() => tf.stack(floats.map(([, t]) => floatMask(tf.all(tf.isFinite(t))))));
  const ok = await flags.data();
  flags.dispose();
  const bad = floats.findIndex((_, i) => ok[i] !== 1);
  if (bad >= 0) throw new NonFiniteInputError(floats[bad][0]);
}
