// Softmax(logits; dim): dy = y·dx − y·Σ_dim(y·dx).
import type { KernelRule } from "./types.ts";
import type { SoftmaxAttrs } from "@tensorflow/tfjs";
import * as E from "./_emit.ts";
import { normAxis, range } from "../../src/core/axes.ts";

export const Softmax: KernelRule<SoftmaxAttrs> = {
  linearize(k) {
    const y = k.outputs[0];
    const dim = normAxis(k.attrs.dim, y.rank);
    const ydx = E.mul(k, k.tangent("logits"), y)!;
    const sum = E.reduceSum(k, ydx, [dim])!;
    const spread = k.emit("broadcast_in_dim", [sum], {
      shape: y.shape,
      broadcastDimensions: range(y.rank).filter((a) => a !== dim),
    }, y.shape);
    k.setTangent(0, E.sub(k, ydx, E.mul(k, spread, y)));
  },
};
