/**
 * Tensors across the worker boundary: shape, dtype and a typed array (transferable).
 * @module
 */
import * as tf from "@tensorflow/tfjs";

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

/** The buffers to transfer (not copy) with a message. */
export function buffers(ws: (WireTensor | null)[]): ArrayBuffer[] {
  return ws.flatMap((w) => (w ? [w.data.buffer as ArrayBuffer] : []));
}
