// ResizeBilinear(images; size, alignCorners, halfPixelCenters): linear in the image with fixed
// weights, and separable: dy = Wh · dx · Wwᵀ, with [outH, H] and [outW, W] weight matrices from
// tfjs's own source-coordinate formulas.
import type { KernelRule } from "./types.ts";
import type { ResizeBilinearAttrs } from "@tensorflow/tfjs";
import * as E from "./_emit.ts";
import { bilinearWeights } from "./_structural_util.ts";

export const ResizeBilinear: KernelRule<ResizeBilinearAttrs> = {
  linearize(k) {
    const [n, h, w, c] = k.input("images")!.shape;
    const [outH, outW] = k.attrs.size;
    const { alignCorners, halfPixelCenters } = k.attrs;
    const along = { contract: [[1], [1]] as [number[], number[]], batch: [[], []] as [number[], number[]] };
    // [N, H, W, C] · [outH, H] → [N, W, C, outH]; · [outW, W] → [N, C, outH, outW]
    const wh = bilinearWeights(h, outH, alignCorners, halfPixelCenters);
    const ww = bilinearWeights(w, outW, alignCorners, halfPixelCenters);
    const rows = k.emit("dot_general", [k.tangent("images")!, wh], along, [n, w, c, outH]);
    const both = k.emit("dot_general", [rows, ww], along, [n, c, outH, outW]);
    k.setTangent(0, E.transpose(k, both, [0, 2, 3, 1]));
  },
};
