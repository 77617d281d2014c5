// StridedSlice(x; begin, end, strides, masks): dy = the same strided window of dx. tfjs's
// sliceInfo gives the dense per-axis begin/end/stride; a negative stride is a `rev` of that axis
// followed by a positive-stride slice; new and shrunk axes are a final reshape.
import type { KernelRule } from "./types.ts";
import type { StridedSliceAttrs } from "@tensorflow/tfjs";
import * as E from "./_emit.ts";
import { stridedSliceInfo } from "../../src/core/tensor_util.ts";

export const StridedSlice: KernelRule<StridedSliceAttrs> = {
  linearize(k) {
    const x = k.input("x")!;
    const info = stridedSliceInfo(x.shape, k.attrs);
    const y = k.outputs[0];
    if (y.size === 0) return; // nothing selected: no tangent
    const flipped = x.shape.flatMap((_, i) => (info.strides[i] < 0 ? [i] : []));
    let v = k.tangent("x")!;
    if (flipped.length) v = k.emit("rev", [v], { dimensions: flipped }, v.shape);
    // In the reversed axis, entry `begin − j·|stride|` sits at `n − 1 − begin + j·|stride|`.
    const start = x.shape.map((n, i) => (info.strides[i] < 0 ? n - 1 - info.begin[i] : info.begin[i]));
    const stride = info.strides.map(Math.abs);
    const size = x.shape.map((_, i) => Math.ceil(Math.abs(info.end[i] - info.begin[i]) / stride[i]));
    k.setTangent(0, E.reshape(k, E.slice(k, v, start, size, stride), y.shape));
  },
};
