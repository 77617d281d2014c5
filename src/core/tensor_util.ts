/**
 * Small tensor builders that avoid tfjs-webgpu 4.22's int/bool → float32 Cast, which only
 * relabels the buffer's dtype: a later reshape then reads zeros or another tensor's data.
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/**
 * 1 where `cond` holds, else 0, as float32: a Select on WebGPU (never its broken Cast), a Cast
 * elsewhere (80× faster than a broadcasting Select on wasm).
 */
export function floatMask(cond: tf.Tensor): tf.Tensor {
  if (tf.getBackend() !== "webgpu") return tf.cast(cond, "float32");
  // Flat: tfjs-webgpu's where throws from rank 5 on.
  return tf.reshape(tf.where(tf.reshape(cond, [-1]), tf.scalar(1), tf.scalar(0)), cond.shape);
}

/** ExampleRows `start … start+n−1` of the `total`×`total` identity, `[n, total]`, built on the host. */
export function identityRows(start: number, n: number, total: number): tf.Tensor2D {
  const data = new Float32Array(n * total);
  for (let i = 0; i < n; i++) data[i * total + start + i] = 1;
  return tf.tensor2d(data, [n, total]);
}
