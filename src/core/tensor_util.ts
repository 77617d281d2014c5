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

/**
 * `[numel(indices), depth]` float32 rows, row m one-hot at indices[m] (all zero when out of
 * range). At rank 2: tfjs-webgpu 4.22's Where (floatMask) stops at rank 4, and tf.oneHot to
 * float32 is wrong on tfjs-wasm 4.22 (it writes the int32 bits).
 */
export function oneHotRows(indices: tf.Tensor, depth: number): tf.Tensor {
  return tf.tidy(() =>
    floatMask(tf.equal(tf.reshape(indices, [-1, 1]), tf.reshape(tf.range(0, depth, 1, "int32"), [1, depth])))
  );
}

/** tfjs's dense reading of a StridedSlice's attributes (per-axis begin, end, strides; final shape). */
export function stridedSliceInfo(shape: number[], a: tf.StridedSliceAttrs): ReturnType<typeof tf.slice_util.sliceInfo> {
  return tf.slice_util.sliceInfo(
    shape,
    a.begin,
    a.end,
    a.strides,
    a.beginMask,
    a.endMask,
    a.ellipsisMask,
    a.newAxisMask,
    a.shrinkAxisMask,
  );
}
