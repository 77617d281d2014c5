// MaxPool(x): y[o] = x[p(o)], p(o) the first maximum of o's window (row-major, padding never
// wins — tfjs's gradient convention), so dy[o] = dx[p(o)].
import * as tf from "@tensorflow/tfjs";
import type { KernelRule } from "./_types.ts";
import { geometry2D, maxPositions } from "./_conv_util.ts";

export const MaxPool: KernelRule = {
  linearize(k) {
    const x = k.input("x")!;
    const { filterSize, strides, pad, dimRoundingMode } = k.attrs;
    const info = tf.backend_util.computePool2DInfo(x.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
    const positions = maxPositions(x, geometry2D(info), "first");
    const dx = k.tangent("x")!;
    k.setTangent(0, k.emit("select_and_gather_add", [dx], { positions, shape: x.shape }, k.outputs[0].shape));
  },
};
