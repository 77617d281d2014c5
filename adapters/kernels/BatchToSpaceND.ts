// BatchToSpaceND(x; blockShape, crops): dy = dx moved the same way, then cropped. The batch
// index is (o1·b2 + o2)·B + batch; each spatial axis i (first first) takes its block offset
// from the front of the batch axis: [b, Bc·P·s, Q] → [Bc·P·s, b, Q] (P, Q: the axes before and
// after). One axis at a time keeps the rank low for webgpu.
import type { KernelRule } from "./types.ts";
import type { BatchToSpaceNDAttrs } from "@tensorflow/tfjs";
import * as E from "./_emit.ts";
import { numel } from "../../src/core/axes.ts";

export const BatchToSpaceND: KernelRule<BatchToSpaceNDAttrs> = {
  linearize(k) {
    const block = k.attrs.blockShape;
    const crops = k.attrs.crops as [number, number][];
    let t = k.tangent("x")!;
    block.forEach((b, a) => {
      const i = a + 1;
      const shape = t.shape;
      const v = E.reshape(k, t, [b, numel(shape.slice(0, i + 1)) / b, numel(shape.slice(i + 1))]);
      const moved = E.transpose(k, v, [1, 0, 2]);
      t = E.reshape(k, moved, shape.map((s, j) => (j === 0 ? s / b : j === i ? s * b : s)))!;
    });
    const start = t.shape.map((_, i) => (i >= 1 && i <= block.length ? crops[i - 1][0] : 0));
    k.setTangent(0, E.slice(k, t, start, k.outputs[0].shape));
  },
};
