// MaxPool3D(x): y[o] = x[p(o)], p(o) the LAST maximum of o's window in row-major order (tfjs's
// cpu gradient compares with >= in 3-D, > in 2-D), padding never wins; dy[o] = dx[p(o)].
import * as tf from "@tensorflow/tfjs";
import type { KernelRule } from "./_types.ts";
import { geometry3D, maxPositions } from "./_conv_util.ts";
import { UnsupportedAttributeError } from "../../src/errors.ts";

export const MaxPool3D: KernelRule = {
  linearize(k) {
    const x = k.input("x")!;
    const { filterSize, strides, pad, dimRoundingMode, dataFormat } = k.attrs;
    if ((dataFormat ?? "NDHWC") !== "NDHWC") throw new UnsupportedAttributeError(k.kernel, "dataFormat", dataFormat);
    const shape = x.shape as [number, number, number, number, number];
    const info = tf.backend_util.computePool3DInfo(shape, filterSize, strides, 1, pad, dimRoundingMode);
    const positions = maxPositions(x, geometry3D(info), "last");
    const dx = k.tangent("x")!;
    k.setTangent(0, k.emit("select_and_gather_add", [dx], { positions, shape: x.shape }, k.outputs[0].shape));
  },
};
