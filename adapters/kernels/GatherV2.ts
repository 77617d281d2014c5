// GatherV2(x, indices; axis, batchDims): dy = dx gathered at the same indices. With batchDims
// b > 0, each batch entry gathers with its own indices: the batch axes are merged into the
// gathered axis (flat index = batch·N + index), gathered once, and split back.
import * as tf from "@tensorflow/tfjs";
import type { KernelRule } from "./types.ts";
import type { GatherV2Attrs } from "@tensorflow/tfjs";
import * as E from "./_emit.ts";
import { normAxis, numel, range } from "../../src/core/axes.ts";

export const GatherV2: KernelRule<GatherV2Attrs> = {
  linearize(k) {
    const x = k.input("x")!;
    const indices = k.input("indices")!;
    const v = k.tangent("x")!;
    const y = k.outputs[0];
    const axis = normAxis(k.attrs.axis, x.rank);
    const dims = (k.attrs.batchDims as number | undefined) ?? 0;
    const b = dims < 0 ? dims + indices.rank : dims;
    if (b === 0) {
      k.setTangent(0, k.emit("gather", [v], { indices, axis }, y.shape));
      return;
    }
    const batch = numel(x.shape.slice(0, b));
    const [pre, n, post] = [x.shape.slice(b, axis), x.shape[axis], x.shape.slice(axis + 1)];
    const p = pre.length;
    // [B, ...pre, N, ...post] → [...pre, B·N, ...post]
    const batched = E.reshape(k, v, [batch, ...pre, n, ...post]);
    const moved = E.transpose(k, batched, [...range(p, 1), 0, ...range(post.length + 1, p + 1)]);
    const merged = E.reshape(k, moved, [...pre, batch * n, ...post])!;
    const own = tf.reshape(indices, [batch, ...indices.shape.slice(b)]);
    const offsets = tf.reshape(tf.mul(tf.range(0, batch, 1, "int32"), tf.scalar(n, "int32")), [
      batch,
      ...own.shape.slice(1).map(() => 1),
    ]);
    const flat = tf.add(own, offsets);
    // [...pre, B, ...idx, ...post] → [B, ...pre, ...idx, ...post] → y
    const picked = k.emit("gather", [merged], { indices: flat, axis: p }, [...pre, ...flat.shape, ...post]);
    const back = E.transpose(k, picked, [p, ...range(p), ...range(picked.shape.length - p - 1, p + 1)]);
    k.setTangent(0, E.reshape(k, back, y.shape));
  },
};
