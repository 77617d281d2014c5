// Unpack(value; axis) (tf.unstack): output i's tangent is dx's entry i along axis, axis dropped.
import type { KernelRule } from "./types.ts";
import type { UnpackAttrs } from "@tensorflow/tfjs";
import * as E from "./_emit.ts";
import { normAxis } from "../../src/core/axes.ts";
import { sliceAlong } from "./_structural_util.ts";

export const Unpack: KernelRule<UnpackAttrs> = {
  linearize(k) {
    const x = k.input("value")!;
    const v = k.tangent("value");
    const axis = normAxis(k.attrs.axis, x.rank);
    k.outputs.forEach((y, i) => k.setTangent(i, E.reshape(k, sliceAlong(k, v, x.shape, axis, i, 1), y.shape)));
  },
};
