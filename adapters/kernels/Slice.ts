// Slice(x; begin, size): dy = the same window of dx (size -1: to the end of the axis).
import * as tf from "@tensorflow/tfjs";
import type { KernelRule } from "./types.ts";
import type { SliceAttrs } from "@tensorflow/tfjs";
import * as E from "./_emit.ts";

export const Slice: KernelRule<SliceAttrs> = {
  linearize(k) {
    const x = k.input("x")!;
    const [begin, size] = tf.slice_util.parseSliceParams(x, k.attrs.begin, k.attrs.size);
    k.setTangent(0, E.slice(k, k.tangent("x"), begin, size));
  },
};
