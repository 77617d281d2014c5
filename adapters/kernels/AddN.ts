// AddN(x0, x1, …), all of one shape: dy = Σ dxᵢ over the inputs that have a tangent.
import type { KernelRule } from "./types.ts";
import * as E from "./_emit.ts";

export const AddN: KernelRule = {
  linearize(k) {
    k.setTangent(0, E.addAll(k, k.inputNames.map((n) => k.tangent(n))));
  },
};
