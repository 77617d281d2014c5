// Gathering and scatter-adding along one axis with lead axes, using only kernels every backend
// has (GatherV2 without batchDims — broken on wasm — and ScatterNd, which sums duplicates).
import * as tf from "@tensorflow/tfjs";
import { gatherB, transposeB } from "../src/core/tensor_ops.ts";
import { numel, range } from "../src/core/axes.ts";

/** `operand[..., indices, ...]` along `axis` of the operand (after `lead` lead axes). */
export function gatherLead(t: tf.Tensor, indices: tf.Tensor, axis: number, lead: number): tf.Tensor {
  return gatherB(t, indices, axis + lead);
}

/**
 * The transpose of `gatherLead`: scatter-adds `ct` (shape `[...lead, ...pre, ...idx, ...post]`)
 * into `[...lead, ...pre, size, ...post]`. `rowOffsets`, when given, is added to the indices
 * (int32, the indices' shape) and `size` is the scattered axis length including them.
 */
export function scatterLead(
  ct: tf.Tensor,
  indices: tf.Tensor,
  axis: number,
  lead: number,
  size: number,
): tf.Tensor {
  const idxRank = indices.rank;
  const p = lead + axis; // first index axis in ct
  const idxAxes = range(idxRank, p);
  const rest = range(ct.rank).filter((a) => !idxAxes.includes(a));
  const moved = transposeB(ct, [...idxAxes, ...rest]);
  const restShape = rest.map((a) => ct.shape[a]);
  const m = numel(indices.shape);
  const updates = tf.reshape(moved, [m, numel(restShape)]);
  const flatIdx = tf.reshape(indices, [m, 1]);
  const scattered = tf.scatterND(flatIdx, updates, [size, numel(restShape)]);
  const shaped = tf.reshape(scattered, [size, ...restShape]);
  // Axes now: size, then lead+pre, then post; move `size` back to position p.
  const perm = [...range(p, 1), 0, ...range(shaped.rank - 1 - p, p + 1)];
  return transposeB(shaped, perm);
}
