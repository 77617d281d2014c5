// Pack(x0, x1, ...; axis) (tf.stack): dy = concat of the dxi, each given a size-1 axis.
import type { KernelRule } from "./types.ts";
import type { PackAttrs } from "@tensorflow/tfjs";
import * as E from "./_emit.ts";
import { normAxis } from "../../src/core/axes.ts";

export const Pack: KernelRule<PackAttrs> = {
  linearize(k) {
    const y = k.outputs[0];
    const axis = normAxis(k.attrs.axis, y.rank);
    const part = y.shape.map((s, i) => (i === axis ? 1 : s));
    const parts = k.inputNames.map((n) => E.reshape(k, k.tangent(n), part));
    k.setTangent(0, E.concat(k, parts, parts.map(() => part), axis));
  },
};
