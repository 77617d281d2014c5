// Neg: dy = −dx.
import type { KernelRule } from "./types.ts";
import * as E from "./_emit.ts";
export const Neg: KernelRule = { linearize: (k) => k.setTangent(0, E.neg(k, k.tangent("x"))) };
