// FusedDepthwiseConv2D(x, filter, bias?, preluActivationWeights?): y = act(dwconv(x, f) + bias),
// dy = act′ · (dwconv(dx, f) + dwconv(x, df) + dbias) (+ the PReLU weights' own term).
import type { KernelRule } from "./types.ts";
import type { FusedDepthwiseConv2DAttrs } from "@tensorflow/tfjs";
import { fusedConv2dTangent } from "./_conv_util.ts";

export const FusedDepthwiseConv2D: KernelRule<FusedDepthwiseConv2DAttrs> = {
  linearize(k) {
    k.setTangent(0, fusedConv2dTangent(k, true));
  },
};
