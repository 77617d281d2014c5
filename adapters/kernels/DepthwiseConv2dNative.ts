// DepthwiseConv2dNative(x, filter [kh, kw, C, M]): y[..., c·M+m] = Σ_k x[..., c]·f[k, c, m], a
// convolution with C feature groups by f reshaped to [kh, kw, 1, C·M];
// dy = conv(dx, f) + conv(x, df).
import type { KernelRule } from "./types.ts";
import type { DepthwiseConv2dNativeAttrs } from "@tensorflow/tfjs";
import { conv2dTangent, toFirst } from "./_conv_util.ts";

export const DepthwiseConv2dNative: KernelRule<DepthwiseConv2dNativeAttrs> = {
  linearize(k) {
    const { dz, cf } = conv2dTangent(k, true);
    k.setTangent(0, toFirst(k, dz, cf));
  },
};
