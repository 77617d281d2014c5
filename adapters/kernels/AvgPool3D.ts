// AvgPool3D(x): y[o] = Σ_window x / count(o), count = the window's in-bounds entries (as tfjs's
// kernels divide), so dy = window_sum(dx, zero padded) / count.
import type { KernelRule } from "./types.ts";
import type { AvgPool3DAttrs } from "@tensorflow/tfjs";
import { avgPoolTangent } from "./_conv_util.ts";

export const AvgPool3D: KernelRule<AvgPool3DAttrs> = {
  linearize(k) {
    k.setTangent(0, avgPoolTangent(k));
  },
};
