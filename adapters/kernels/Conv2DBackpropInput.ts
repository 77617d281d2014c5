// Conv2DBackpropInput(dy, filter; inputShape): the transposed convolution y = convᵀ(dy, f)
// (Conv2DTranspose layers), bilinear: d y = convᵀ(d dy, f) + convᵀ(dy, df).
import * as tf from "@tensorflow/tfjs";
import type { KernelRule } from "./types.ts";
import type { Conv2DBackpropInputAttrs } from "@tensorflow/tfjs";
import {
  channelsFirst,
  checkOutShape,
  convTransposeTangent,
  geometry2D,
  lastShape,
  toFirst,
  toLast,
} from "./_conv_util.ts";

export const Conv2DBackpropInput: KernelRule<Conv2DBackpropInputAttrs> = {
  linearize(k) {
    const dy = k.input("dy")!, f = k.input("filter")!;
    const { inputShape, strides, pad, dimRoundingMode } = k.attrs;
    const cf = channelsFirst(k);
    const info = tf.backend_util.computeConv2DInfo(
      inputShape,
      f.shape as [number, number, number, number],
      strides,
      1,
      pad,
      dimRoundingMode,
      false,
      cf ? "channelsFirst" : "channelsLast",
    );
    checkOutShape(k, inputShape);
    const [dyl, ddyl] = toLast(k, dy, k.tangent("dy"), cf);
    const t = convTransposeTangent(k, dyl, ddyl, f, k.tangent("filter"), geometry2D(info), lastShape(inputShape, cf));
    k.setTangent(0, toFirst(k, t, cf));
  },
};
