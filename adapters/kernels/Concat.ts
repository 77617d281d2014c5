// Concat(x0, x1, ...; axis): dy = concat(dx0, dx1, ...) along axis; an input without a tangent
// is a zero part.
import type { KernelRule } from "./types.ts";
import type { ConcatAttrs } from "@tensorflow/tfjs";
import * as E from "./_emit.ts";
import { normAxis } from "../../src/core/axes.ts";

export const Concat: KernelRule<ConcatAttrs> = {
  linearize(k) {
    const shapes = k.inputNames.map((n) => k.input(n)!.shape);
    const axis = normAxis(k.attrs.axis, shapes[0].length);
    k.setTangent(0, E.concat(k, k.inputNames.map((n) => k.tangent(n)), shapes, axis));
  },
};
