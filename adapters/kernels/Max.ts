// Max(x; reductionIndices, keepDims): dy = Σ dx · [x == max] over the reduced axes (every tie
// gets the full tangent, as in tfjs's gradient).
import type { KernelRule } from "./types.ts";
import type { MaxAttrs } from "@tensorflow/tfjs";
import { extremumTangent } from "./_structural_util.ts";

export const Max: KernelRule<MaxAttrs> = { linearize: (k) => extremumTangent(k, k.attrs.reductionIndices) };
