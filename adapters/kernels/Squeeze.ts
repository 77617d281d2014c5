// Squeeze: drops size-1 axes (tfjs emits it as Reshape; kept for user graphs that name it).
import type { KernelRule } from "./_types.ts";
import { normAxis } from "../../rules/_axes.ts";

export const Squeeze: KernelRule = {
  linearize(k) {
    const v = k.tangent("x");
    if (!v) return;
    const axis = k.attrs.axis as number[] | undefined;
    const dims = axis && axis.length ? axis.map((a) => normAxis(a, v.shape.length)) : v.shape.flatMap((s, i) => (s === 1 ? [i] : []));
    k.setTangent(0, k.emit("squeeze", [v], { dimensions: dims }, k.outputs[0].shape));
  },
};
