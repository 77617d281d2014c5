// Cumsum(x; axis, exclusive, reverse): dy = cumsum(dx) with the same attrs.
import type { KernelRule } from "./types.ts";
import type { CumsumAttrs } from "@tensorflow/tfjs";
import { normAxis } from "../../src/core/axes.ts";

export const Cumsum: KernelRule<CumsumAttrs> = {
  linearize(k) {
    const v = k.tangent("x")!;
    const axis = normAxis(k.attrs.axis, v.shape.length);
    const params = { axis, exclusive: Boolean(k.attrs.exclusive), reverse: Boolean(k.attrs.reverse) };
    k.setTangent(0, k.emit("cumsum", [v], params, v.shape));
  },
};
