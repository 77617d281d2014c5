// SplitV(x; numOrSizeSplits, axis) (tf.split): output i's tangent is dx's i-th part along axis.
import type { KernelRule } from "./types.ts";
import type { SplitVAttrs } from "@tensorflow/tfjs";
import { normAxis } from "../../src/core/axes.ts";
import { sliceAlong } from "./_structural_util.ts";

export const SplitV: KernelRule<SplitVAttrs> = {
  linearize(k) {
    const x = k.input("x")!;
    const v = k.tangent("x");
    const axis = normAxis(k.attrs.axis, x.rank);
    // The outputs' sizes resolve numOrSizeSplits (a count, or sizes with one -1).
    let offset = 0;
    k.outputs.forEach((y, i) => {
      k.setTangent(i, sliceAlong(k, v, x.shape, axis, offset, y.shape[axis]));
      offset += y.shape[axis];
    });
  },
};
