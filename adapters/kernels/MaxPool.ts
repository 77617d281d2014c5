// MaxPool(x): y[o] = x[p(o)], p(o) the FIRST maximum of o's window in row-major order (tfjs's
// gradient compares with >), padding never wins; so dy[o] = dx[p(o)].
import type { KernelRule } from "./types.ts";
import type { MaxPoolAttrs } from "@tensorflow/tfjs";
import { maxPoolTangent } from "./_conv_util.ts";

export const MaxPool: KernelRule<MaxPoolAttrs> = {
  linearize(k) {
    k.setTangent(0, maxPoolTangent(k, "first"));
  },
};
