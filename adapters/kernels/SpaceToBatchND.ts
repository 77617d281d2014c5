// SpaceToBatchND(x; blockShape, paddings): dy = dx moved the same way. After zero-padding the
// spatial axes, each spatial axis i (last first) of size q·b gives its block offset to the batch
// axis: [Bc·P·q, b, Q] → [b, Bc·P·q, Q] (P, Q: the axes before and after), so the final batch
// index is (o1·b2 + o2)·B + batch, as in TF. One axis at a time keeps the rank low for webgpu.
import type { KernelRule } from "./types.ts";
import type { SpaceToBatchNDAttrs } from "@tensorflow/tfjs";
import * as E from "./_emit.ts";
import { numel } from "../../src/core/axes.ts";

export const SpaceToBatchND: KernelRule<SpaceToBatchNDAttrs> = {
  linearize(k) {
    const x = k.input("x")!;
    const block = k.attrs.blockShape;
    const paddings = k.attrs.paddings as [number, number][];
    const config = x.shape.map((_, i): [number, number, number] =>
      i >= 1 && i <= block.length ? [paddings[i - 1][0], paddings[i - 1][1], 0] : [0, 0, 0]
    );
    const padded = x.shape.map((s, i) => s + config[i][0] + config[i][1]);
    let t = k.tangent("x")!;
    if (config.some(([lo, hi]) => lo !== 0 || hi !== 0)) t = k.emit("pad", [t], { config }, padded);
    for (let i = block.length; i >= 1; i--) {
      const shape = t.shape;
      const b = block[i - 1];
      const q = shape[i] / b;
      const v = E.reshape(k, t, [numel(shape.slice(0, i)) * q, b, numel(shape.slice(i + 1))]);
      const moved = E.transpose(k, v, [1, 0, 2]);
      t = E.reshape(k, moved, shape.map((s, j) => (j === 0 ? s * b : j === i ? q : s)))!;
    }
    k.setTangent(0, E.reshape(k, t, k.outputs[0].shape));
  },
};
