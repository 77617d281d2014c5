/**
 * Small builders over `KernelCtx.emit` that kernel files share: they pass null (zero)
 * tangents through and make broadcasting explicit.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Var } from "../../src/core/ir.ts";
import type { Arg, KernelCtx } from "./types.ts";

export type T = Var | null;

function isVarArg(a: Arg): a is Var {
  return (a as Var).id !== undefined && !(a as tf.Tensor).dataId;
}

export function shapeOf(a: Arg): number[] {
  return isVarArg(a) ? a.shape : (a as tf.Tensor).shape;
}

const sameShape = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((s, i) => s === b[i]);

/** Broadcasts a tangent to `shape` (numpy rules) with an explicit broadcast_in_dim. */
export function broadcastTo(k: KernelCtx, v: T, shape: number[]): T {
  if (!v || sameShape(v.shape, shape)) return v;
  const off = shape.length - v.shape.length;
  return k.emit("broadcast_in_dim", [v], { shape, broadcastDimensions: v.shape.map((_, i) => i + off) }, shape);
}

export function add(k: KernelCtx, a: T, b: T): T {
  if (!a) return b;
  if (!b) return a;
  return k.emit("add", [a, b], {}, a.shape);
}

/** Sum of several tangents of one shape (add_any). */
export function addAll(k: KernelCtx, ts: T[]): T {
  const live = ts.filter((t): t is Var => t !== null);
  if (live.length <= 1) return live[0] ?? null;
  return live.length === 2 ? add(k, live[0], live[1]) : k.emit("add_any", live, {}, live[0].shape);
}

export function sub(k: KernelCtx, a: T, b: T): T {
  if (!b) return a;
  if (!a) return neg(k, b);
  return k.emit("sub", [a, b], {}, a.shape);
}

export function neg(k: KernelCtx, a: T): T {
  return a && k.emit("neg", [a], {}, a.shape);
}

/** `v * c`, c a const broadcastable to v's shape. */
export function mul(k: KernelCtx, v: T, c: tf.Tensor): T {
  return v && k.emit("mul", [v, c], {}, v.shape);
}

export function div(k: KernelCtx, v: T, c: tf.Tensor): T {
  return v && k.emit("div", [v, c], {}, v.shape);
}

export function reshape(k: KernelCtx, v: T, shape: number[]): T {
  if (!v || sameShape(v.shape, shape)) return v;
  return k.emit("reshape", [v], { newSizes: shape }, shape);
}

export function transpose(k: KernelCtx, v: T, perm: number[]): T {
  if (!v || perm.every((p, i) => p === i)) return v;
  return k.emit("transpose", [v], { permutation: perm }, perm.map((p) => v.shape[p]));
}

export function reduceSum(k: KernelCtx, v: T, axes: number[]): T {
  if (!v || axes.length === 0) return v;
  return k.emit("reduce_sum", [v], { axes }, v.shape.filter((_, i) => !axes.includes(i)));
}

/** Entries `start..start+size` of every axis (a static window). */
export function slice(k: KernelCtx, v: T, start: number[], size: number[], strides?: number[]): T {
  if (!v) return v;
  const st = strides ?? start.map(() => 1);
  const limit = start.map((s, i) => s + (size[i] - 1) * st[i] + 1);
  const out = size.slice();
  if (out.every((s, i) => s === v.shape[i]) && start.every((s) => s === 0) && st.every((x) => x === 1)) return v;
  return k.emit("slice", [v], { start, limit, strides: st }, out);
}

/** Concatenation of tangents; a null tangent is a zero part of its shape. */
export function concat(k: KernelCtx, vs: T[], shapes: number[][], axis: number): T {
  if (vs.every((v) => !v)) return null;
  const out = shapes[0].slice();
  out[axis] = shapes.reduce((acc, s) => acc + s[axis], 0);
  const args = vs.map((v) => v ?? tfScalarZero());
  return k.emit("concatenate", args, { dimension: axis, sizes: shapes.map((s) => s[axis]) }, out);
}

/** Placeholder const for a zero part. */
function tfScalarZero(): tf.Tensor {
  return tf.scalar(0);
}
