// Mean(x; axis, keepDims): the summed tangent divided by the count.
import * as tf from "@tensorflow/tfjs";
import type { KernelRule } from "./types.ts";
import type { MeanAttrs } from "@tensorflow/tfjs";
import * as E from "./_emit.ts";
import { reductionAxes } from "./_reduce.ts";

export const Mean: KernelRule<MeanAttrs> = {
  linearize(k) {
    const x = k.input("x")!;
    const axes = reductionAxes(k.attrs.axis, x.rank);
    const n = axes.reduce((p, a) => p * x.shape[a], 1);
    const s = E.reshape(k, E.reduceSum(k, k.tangent("x"), axes), k.outputs[0].shape);
    k.setTangent(0, E.mul(k, s, tf.scalar(1 / n)));
  },
};
