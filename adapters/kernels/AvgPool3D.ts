// AvgPool3D(x): y[o] = Σ_window x / count(o), count = the window's in-bounds entries (tfjs's
// kernels), so dy = window_sum(dx, zero padded) / count.
import * as tf from "@tensorflow/tfjs";
import type { KernelRule } from "./_types.ts";
import * as E from "./_emit.ts";
import { geometry3D, inverseCounts, padding } from "./_conv_util.ts";
import { UnsupportedAttributeError } from "../../src/errors.ts";

export const AvgPool3D: KernelRule = {
  linearize(k) {
    const x = k.input("x")!;
    const { filterSize, strides, pad, dimRoundingMode, dataFormat } = k.attrs;
    if ((dataFormat ?? "NDHWC") !== "NDHWC") throw new UnsupportedAttributeError(k.kernel, "dataFormat", dataFormat);
    const shape = x.shape as [number, number, number, number, number];
    const g = geometry3D(tf.backend_util.computePool3DInfo(shape, filterSize, strides, 1, pad, dimRoundingMode));
    const sum = k.emit("reduce_window_sum", [k.tangent("x")!], { window: g.window, strides: g.strides, padding: padding(g) }, k.outputs[0].shape);
    k.setTangent(0, E.mul(k, sum, inverseCounts(g)));
  },
};
