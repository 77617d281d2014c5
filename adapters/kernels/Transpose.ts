// Transpose(x; perm).
import type { KernelRule } from "./types.ts";
import type { TransposeAttrs } from "@tensorflow/tfjs";
import * as E from "./_emit.ts";

export const Transpose: KernelRule<TransposeAttrs> = {
  linearize: (k) => k.setTangent(0, E.transpose(k, k.tangent("x"), k.attrs.perm)),
};
