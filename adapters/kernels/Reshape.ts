// Reshape: the tangent takes the output's shape.
import type { KernelRule } from "./types.ts";
import * as E from "./_emit.ts";

export const Reshape: KernelRule = {
  linearize: (k) => k.setTangent(0, E.reshape(k, k.tangent("x"), k.outputs[0].shape)),
};
