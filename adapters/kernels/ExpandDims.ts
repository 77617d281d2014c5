// ExpandDims: a reshape that inserts a size-1 axis.
import type { KernelRule } from "./types.ts";
import * as E from "./_emit.ts";

export const ExpandDims: KernelRule = {
  linearize: (k) => k.setTangent(0, E.reshape(k, k.tangent("input"), k.outputs[0].shape)),
};
