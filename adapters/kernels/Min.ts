// Min(x; axis, keepDims): dy = Σ dx · [x == min] over the reduced axes (every tie gets the full
// tangent, as in tfjs's gradient).
import type { KernelRule } from "./types.ts";
import type { MinAttrs } from "@tensorflow/tfjs";
import { extremumTangent } from "./_structural_util.ts";

export const Min: KernelRule<MinAttrs> = { linearize: (k) => extremumTangent(k, k.attrs.axis) };
