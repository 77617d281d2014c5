// FusedConv2D(x, filter, bias?, preluActivationWeights?): y = act(conv(x, f) + bias),
// dy = act′ · (conv(dx, f) + conv(x, df) + dbias) (+ the PReLU weights' own term).
import type { KernelRule } from "./types.ts";
import type { FusedConv2DAttrs } from "@tensorflow/tfjs";
import { fusedConv2dTangent } from "./_conv_util.ts";

export const FusedConv2D: KernelRule<FusedConv2DAttrs> = {
  linearize(k) {
    k.setTangent(0, fusedConv2dTangent(k, false));
  },
};
