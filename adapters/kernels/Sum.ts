// Sum(x; axis, keepDims): reduce_sum of the tangent (then a reshape when keeping dims).
import type { KernelRule } from "./types.ts";
import type { SumAttrs } from "@tensorflow/tfjs";
import * as E from "./_emit.ts";
import { reductionAxes } from "./_reduce.ts";

export const Sum: KernelRule<SumAttrs> = {
  linearize(k) {
    const v = k.tangent("x");
    const axes = reductionAxes(k.attrs.axis, k.input("x")!.rank);
    k.setTangent(0, E.reshape(k, E.reduceSum(k, v, axes), k.outputs[0].shape));
  },
};
