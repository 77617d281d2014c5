// MaxPool3D(x): y[o] = x[p(o)], p(o) the LAST maximum of o's window in row-major order (tfjs's
// cpu gradient compares with >= in 3-D), padding never wins; so dy[o] = dx[p(o)].
import type { KernelRule } from "./types.ts";
import type { MaxPool3DAttrs } from "@tensorflow/tfjs";
import { maxPoolTangent } from "./_conv_util.ts";

export const MaxPool3D: KernelRule<MaxPool3DAttrs> = {
  linearize(k) {
    k.setTangent(0, maxPoolTangent(k, "last"));
  },
};
