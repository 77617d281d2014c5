// DepthToSpace(x; blockSize b, dataFormat NHWC): dy = dx rearranged the same way:
// [N, H, W, b·b·C] → [N·H, W, b, b·C] → [N·H, b, W, b·C] → [N, H·b, W·b, C]
// (the same transpose as [N, H, W, b, b, C] → [N, H, b, W, b, C], with few axes for webgpu).
import type { KernelRule } from "./types.ts";
import type { DepthToSpaceAttrs } from "@tensorflow/tfjs";
import * as E from "./_emit.ts";
import { UnsupportedAttributeError } from "../../src/core/errors.ts";

export const DepthToSpace: KernelRule<DepthToSpaceAttrs> = {
  linearize(k) {
    const format = k.attrs.dataFormat;
    if (format !== "NHWC") throw new UnsupportedAttributeError(k.kernel, "dataFormat", format);
    const b = k.attrs.blockSize;
    const [n, h, w, d] = k.input("x")!.shape;
    const split = E.reshape(k, k.tangent("x"), [n * h, w, b, d / b]);
    k.setTangent(0, E.reshape(k, E.transpose(k, split, [0, 2, 1, 3]), k.outputs[0].shape));
  },
};
