/**
 * Tensors across the worker boundary: shape, dtype and a typed array (transferable).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { isFlatParams, type ParamSkeleton, paramSkeleton, type ParamTree } from "../core/param_tree.ts";

export interface WireTensor {
  shape: number[];
  dtype: "float32" | "int32";
  data: Float32Array | Int32Array;
}

/**
 * A copy of a tensor's contents, read asynchronously (WebGPU has no synchronous reads). A copy,
 * because the cpu backend returns its own storage — a slice may even view its parent's — and
 * transferring that would detach it.
 */
export async function toWire(t: tf.Tensor): Promise<WireTensor> {
  if (t.dtype !== "float32" && t.dtype !== "int32") {
    throw new TypeError(`Cannot send a ${t.dtype} tensor to a worker: float32 or int32 only`);
  }
  return { shape: t.shape, dtype: t.dtype, data: ((await t.data()) as Float32Array | Int32Array).slice() };
}

export function fromWire(w: WireTensor): tf.Tensor {
  return tf.tensor(w.data, w.shape, w.dtype);
}

/** A copy of each wire tensor (its own buffer, to transfer to one worker). */
export function copyWire(ws: Record<string, WireTensor>): Record<string, WireTensor> {
  return Object.fromEntries(Object.entries(ws).map(([n, t]) => [n, { ...t, data: t.data.slice() }]));
}

/** The buffers to transfer (not copy) with a message. */
export function buffers(ws: (WireTensor | null)[]): ArrayBuffer[] {
  return ws.flatMap((w) => (w ? [w.data.buffer as ArrayBuffer] : []));
}

/** An extra argument of f across the boundary: a tensor as a wire tensor, anything else cloned. */
export type WireArg = { tensor: WireTensor } | { value: unknown };

/** What a worker needs of one call beside the flat parameters: the tree's shape, f's extra arguments. */
export interface WireCall {
  /** The shape of the caller's parameter tree; absent for a flat record. */
  tree?: ParamSkeleton;
  rest: WireArg[];
}

/**
 * One call's parameters for the workers: the flat record's tensors on the wire, and the tree's
 * shape and f's extra arguments (tensors among them copied, the caller's own untouched).
 */
export async function toWireCall(
  flat: Record<string, tf.Tensor>,
  tree: unknown,
  rest: unknown[],
): Promise<{ params: Record<string, WireTensor>; call: WireCall }> {
  const params: Record<string, WireTensor> = {};
  for (const [name, t] of Object.entries(flat)) params[name] = await toWire(t);
  const args = await Promise.all(
    rest.map(async (a) => a instanceof tf.Tensor ? { tensor: await toWire(a) } : { value: a }),
  );
  return { params, call: { ...(isFlatParams(tree) ? {} : { tree: paramSkeleton(tree as ParamTree) }), rest: args } };
}

/** f's extra arguments back from the wire (new tensors, the worker's to dispose). */
export function fromWireArgs(rest: WireArg[]): unknown[] {
  return rest.map((a) => ("tensor" in a ? fromWire(a.tensor) : a.value));
}
