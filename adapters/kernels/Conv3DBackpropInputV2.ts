// Conv3DBackpropInputV2(dy, filter; inputShape): the transposed 3-D convolution
// y = convᵀ(dy, f), bilinear: d y = convᵀ(d dy, f) + convᵀ(dy, df).
import * as tf from "@tensorflow/tfjs";
import type { KernelRule } from "./types.ts";
import type { Conv3DBackpropInputV2Attrs } from "@tensorflow/tfjs";
import { checkOutShape, convTransposeTangent, geometry3D } from "./_conv_util.ts";

type Shape5 = [number, number, number, number, number];

export const Conv3DBackpropInputV2: KernelRule<Conv3DBackpropInputV2Attrs> = {
  linearize(k) {
    const dy = k.input("dy")!, f = k.input("filter")!;
    const { inputShape, strides, pad } = k.attrs;
    const info = tf.backend_util.computeConv3DInfo(inputShape, f.shape as Shape5, strides, 1, pad);
    checkOutShape(k, inputShape);
    k.setTangent(0, convTransposeTangent(k, dy, k.tangent("dy"), f, k.tangent("filter"), geometry3D(info), inputShape));
  },
};
