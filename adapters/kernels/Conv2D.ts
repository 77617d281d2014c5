// Conv2D(x, filter): y = conv(x, f), so dy = conv(dx, f) + conv(x, df) (NCHW via transposes).
import type { KernelRule } from "./types.ts";
import type { Conv2DAttrs } from "@tensorflow/tfjs";
import { conv2dTangent, toFirst } from "./_conv_util.ts";

export const Conv2D: KernelRule<Conv2DAttrs> = {
  linearize(k) {
    const { dz, cf } = conv2dTangent(k, false);
    k.setTangent(0, toFirst(k, dz, cf));
  },
};
