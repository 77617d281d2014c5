// GatherNd(params, indices): dy = dparams gathered at the same index tuples: the indexed leading
// axes are flattened into one and read by a `gather` at the tuples' flat positions.
import type { KernelRule } from "./types.ts";
import * as E from "./_emit.ts";
import { numel } from "../../src/core/axes.ts";
import { flatIndices } from "./_structural_util.ts";

export const GatherNd: KernelRule = {
  linearize(k) {
    const params = k.input("params")!;
    const indices = k.input("indices")!;
    const depth = indices.shape[indices.rank - 1];
    const rest = params.shape.slice(depth);
    const flat = E.reshape(k, k.tangent("params"), [numel(params.shape.slice(0, depth)), ...rest])!;
    const positions = flatIndices(indices, params.shape);
    const picked = k.emit("gather", [flat], { indices: positions, axis: 0 }, [...positions.shape, ...rest]);
    k.setTangent(0, E.reshape(k, picked, k.outputs[0].shape));
  },
};
