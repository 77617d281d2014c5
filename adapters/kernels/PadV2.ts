// PadV2(x; paddings, constantValue): dy = dx padded with zeros (the constant has no tangent).
import type { KernelRule } from "./types.ts";
import type { PadV2Attrs } from "@tensorflow/tfjs";

export const PadV2: KernelRule<PadV2Attrs> = {
  linearize(k) {
    const v = k.tangent("x")!;
    const paddings = k.attrs.paddings;
    const config = paddings.map(([lo, hi]): [number, number, number] => [lo, hi, 0]);
    k.setTangent(0, k.emit("pad", [v], { config }, k.outputs[0].shape));
  },
};
