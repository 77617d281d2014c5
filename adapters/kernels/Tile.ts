// Tile(x; reps): dy = dx repeated along each axis i with reps[i] > 1: as [A, s_i, B] →
// broadcast to [A, reps[i], s_i, B] → merge (one axis at a time keeps the rank low for webgpu).
import type { KernelRule } from "./types.ts";
import type { TileAttrs } from "@tensorflow/tfjs";
import * as E from "./_emit.ts";
import { numel } from "../../src/core/axes.ts";

export const Tile: KernelRule<TileAttrs> = {
  linearize(k) {
    let t = k.tangent("x")!;
    const reps = k.attrs.reps;
    reps.forEach((r, i) => {
      if (r === 1) return;
      const shape = t.shape;
      const [a, s, b] = [numel(shape.slice(0, i)), shape[i], numel(shape.slice(i + 1))];
      const spread = [a, r, s, b];
      const v = E.reshape(k, t, [a, s, b])!;
      const out = k.emit("broadcast_in_dim", [v], { shape: spread, broadcastDimensions: [0, 2, 3] }, spread);
      t = E.reshape(k, out, shape.map((d, j) => (j === i ? r * d : d)))!;
    });
    k.setTangent(0, t === k.tangent("x") ? k.emit("copy", [t], {}, t.shape) : t);
  },
};
