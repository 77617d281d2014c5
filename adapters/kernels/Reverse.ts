// Reverse(x; dims): dy = dx reversed along dims.
import type { KernelRule } from "./types.ts";
import type { ReverseAttrs } from "@tensorflow/tfjs";
import { reductionAxes } from "./_reduce.ts";

export const Reverse: KernelRule<ReverseAttrs> = {
  linearize(k) {
    const v = k.tangent("x")!;
    const dims = reductionAxes(k.attrs.dims, v.shape.length);
    k.setTangent(0, dims.length ? k.emit("rev", [v], { dimensions: dims }, v.shape) : k.emit("copy", [v], {}, v.shape));
  },
};
