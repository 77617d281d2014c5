// Conv3D(x, filter): y = conv(x, f), so dy = conv(dx, f) + conv(x, df).
import * as tf from "@tensorflow/tfjs";
import type { KernelRule } from "./types.ts";
import type { Conv3DAttrs } from "@tensorflow/tfjs";
import { checkOutShape, convParams, convTangent, geometry3D } from "./_conv_util.ts";
import { UnsupportedAttributeError } from "../../src/core/errors.ts";

type Shape5 = [number, number, number, number, number];

export const Conv3D: KernelRule<Conv3DAttrs> = {
  linearize(k) {
    const x = k.input("x")!, f = k.input("filter")!;
    const { strides, pad, dilations, dataFormat } = k.attrs;
    if ((dataFormat ?? "NDHWC") !== "NDHWC") throw new UnsupportedAttributeError(k.kernel, "dataFormat", dataFormat);
    const info = tf.backend_util.computeConv3DInfo(x.shape as Shape5, f.shape as Shape5, strides, dilations ?? 1, pad);
    checkOutShape(k, info.outShape);
    const params = convParams(geometry3D(info));
    k.setTangent(0, convTangent(k, x, k.tangent("x"), f, k.tangent("filter"), params, info.outShape));
  },
};
