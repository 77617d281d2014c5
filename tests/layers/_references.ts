/**
 * Oracles for the layer cases where tfjs's own gradient (which tf.grads uses) is missing or
 * wrong: the same maps written with ops whose tfjs gradients are right. They address weights
 * by layer-qualified name; the cases name their first and last trainable layers "pre" and "head".
 * @module
 */
import * as tf from "@tensorflow/tfjs";

type Params = Record<string, tf.Tensor>;
type Input = tf.Tensor | tf.Tensor[];

export const dense = (p: Params, h: tf.Tensor, name: string) => {
  const flat = tf.reshape(h, [-1, h.shape[h.rank - 1]]);
  const y = tf.add(tf.matMul(flat, p[`${name}/kernel`]), p[`${name}/bias`]);
  return tf.reshape(y, [...h.shape.slice(0, -1), -1]);
};
export const flatHead = (p: Params, h: tf.Tensor) => dense(p, tf.reshape(h, [h.shape[0], -1]), "head");
export const conv2dPre = (p: Params, x: Input) =>
  tf.tanh(tf.add(tf.conv2d(x as tf.Tensor4D, p["pre/kernel"] as tf.Tensor4D, 1, "valid"), p["pre/bias"]));
export const conv3dPre = (p: Params, x: Input) =>
  tf.tanh(tf.add(tf.conv3d(x as tf.Tensor5D, p["pre/kernel"] as tf.Tensor5D, 1, "valid"), p["pre/bias"]));
export const conv1dPre = (p: Params, x: Input) =>
  tf.tanh(tf.add(tf.conv1d(x as tf.Tensor3D, p["pre/kernel"] as tf.Tensor3D, 1, "valid"), p["pre/bias"]));
/** Reference of an `afterConv2d` case whose middle layer is `mid`. */
export const afterConv2dRef = (mid: (h: tf.Tensor) => tf.Tensor) => () => (p: Params, x: Input) =>
  flatHead(p, mid(conv2dPre(p, x)));

/** Inserts s − 1 zeros between neighbours along `axis` (a dilated kernel, a strided-transpose input). */
export function dilate(t: tf.Tensor, axis: number, s: number): tf.Tensor {
  const n = t.shape[axis];
  const withZeros = tf.stack([t, ...Array.from({ length: s - 1 }, () => tf.zerosLike(t))], axis + 1);
  const shape = [...t.shape];
  shape[axis] = n * s;
  const size = [...shape];
  size[axis] = (n - 1) * s + 1;
  return tf.slice(tf.reshape(withZeros, shape), shape.map(() => 0), size);
}

/** conv3dTranspose as conv3d of the stride-dilated, (k−1)-padded input with the flipped kernel. */
export function conv3dTransposeRef(x: tf.Tensor, k: tf.Tensor, strides: number[]): tf.Tensor {
  let y = x;
  strides.forEach((s, i) => (y = s > 1 ? dilate(y, i + 1, s) : y));
  const [kd, kh, kw] = k.shape;
  const padded = tf.pad(y, [[0, 0], [kd - 1, kd - 1], [kh - 1, kh - 1], [kw - 1, kw - 1], [0, 0]]);
  const flipped = tf.transpose(tf.reverse(k, [0, 1, 2]), [0, 1, 2, 4, 3]) as tf.Tensor5D;
  return tf.conv3d(padded as tf.Tensor5D, flipped, 1, "valid");
}

/** 'same' pooling over the padded input (2-D or 3-D). Average: window sums divided by in-bounds
 * counts (tfjs's forward; tfjs-cpu's AvgPoolGrad/AvgPool3DGrad divide by the full window at the
 * borders). Max: the max over the window's offsets, each a strided gather (tfjs-cpu's
 * MaxPool3DGrad mixes up window rows, `wRow * filterHeight + wCol`, when filterHeight ≠ filterWidth). */
export function poolSame(x: tf.Tensor, pool: number[], strides: number[], kind: "avg" | "max"): tf.Tensor {
  const outs = pool.map((_, i) => Math.ceil(x.shape[i + 1] / strides[i]));
  const padding: [number, number][] = [
    [0, 0],
    ...pool.map((k, i): [number, number] => {
      const total = Math.max((outs[i] - 1) * strides[i] + k - x.shape[i + 1], 0);
      return [Math.floor(total / 2), total - Math.floor(total / 2)];
    }),
    [0, 0],
  ];
  if (kind === "avg") {
    const sums = (t: tf.Tensor) =>
      pool.length === 2
        ? tf.avgPool(tf.pad(t, padding) as tf.Tensor4D, pool as [number, number], strides as [number, number], "valid")
        : tf.avgPool3d(
          tf.pad(t, padding) as tf.Tensor5D,
          pool as [number, number, number],
          strides as [number, number, number],
          "valid",
        );
    return tf.div(sums(x), sums(tf.onesLike(x)));
  }
  const padded = tf.pad(x, padding, -1e9); // below every input
  const windows: tf.Tensor[] = [];
  const visit = (axis: number, t: tf.Tensor): void => {
    if (axis > pool.length) return void windows.push(t);
    for (let o = 0; o < pool[axis - 1]; o++) {
      const idx = Array.from({ length: outs[axis - 1] }, (_, j) => o + j * strides[axis - 1]);
      visit(axis + 1, tf.gather(t, tf.tensor1d(idx, "int32"), axis));
    }
  };
  visit(1, padded);
  return tf.max(tf.stack(windows), 0);
}

/** The [out, in] matrix of tfjs-cpu's 1-D resize (no half-pixel centers): bilinear or nearest. */
function resizeMatrix(inSize: number, outSize: number, nearest: boolean, alignCorners: boolean): tf.Tensor2D {
  const m = new Float32Array(outSize * inSize);
  const shrink = alignCorners && outSize > 1 ? 1 : 0;
  const ratio = (inSize - shrink) / (outSize - shrink);
  for (let r = 0; r < outSize; r++) {
    const src = ratio * r;
    if (nearest) m[r * inSize + Math.min(inSize - 1, alignCorners ? Math.round(src) : Math.floor(src))] = 1;
    else {
      const lo = Math.max(0, Math.floor(src)), hi = Math.min(inSize - 1, Math.ceil(src));
      m[r * inSize + lo] += 1 - (src - lo);
      m[r * inSize + hi] += src - lo;
    }
  }
  return tf.tensor2d(m, [outSize, inSize]);
}

/** Image resize [n, H, W, C] → [n, oh, ow, C] as two matrix products (separable). tfjs-cpu's
 * ResizeNearestNeighborGrad offsets dy by the IMAGE's batch stride (wrong for batch > 1), and
 * its ResizeBilinearGrad labels the result [b, W, H, c] (wrong for H ≠ W). */
export function resizeRef(h: tf.Tensor, [oh, ow]: number[], nearest: boolean, alignCorners: boolean): tf.Tensor {
  const [n, hh, ww, c] = h.shape;
  const rh = resizeMatrix(hh, oh, nearest, alignCorners), rw = resizeMatrix(ww, ow, nearest, alignCorners);
  let t = tf.reshape(tf.transpose(h, [0, 2, 3, 1]), [n * ww * c, hh]); // rows, then columns
  t = tf.transpose(tf.reshape(tf.matMul(t, rh, false, true), [n, ww, c, oh]), [0, 3, 2, 1]);
  t = tf.reshape(tf.matMul(tf.reshape(t, [n * oh * c, ww]), rw, false, true), [n, oh, c, ow]);
  return tf.transpose(t, [0, 1, 3, 2]);
}
