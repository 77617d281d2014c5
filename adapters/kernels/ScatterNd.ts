// ScatterNd(indices, updates; shape): linear in the updates: dy = scatter_add of dupdates at the
// index tuples' flat positions (duplicates add up, as in tfjs), reshaped to `shape`.
import type { KernelRule } from "./types.ts";
import type { ScatterNdAttrs } from "@tensorflow/tfjs";
import * as E from "./_emit.ts";
import { numel } from "../../src/core/axes.ts";
import { flatIndices } from "./_structural_util.ts";

export const ScatterNd: KernelRule<ScatterNdAttrs> = {
  linearize(k) {
    const indices = k.input("indices")!;
    const shape = k.attrs.shape;
    const depth = indices.shape[indices.rank - 1];
    const target = [numel(shape.slice(0, depth)), ...shape.slice(depth)];
    const positions = flatIndices(indices, shape);
    const v = k.tangent("updates");
    // updates: [...tuples, ...rest] with the tuple axes flattened as positions' shape.
    const updates = E.reshape(k, v, [...positions.shape, ...shape.slice(depth)])!;
    const sum = k.emit("scatter_add", [updates], { indices: positions, axis: 0, shape: target }, target);
    k.setTangent(0, E.reshape(k, sum, k.outputs[0].shape));
  },
};
