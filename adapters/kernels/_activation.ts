// Fused activations of _FusedMatMul / FusedConv2D / FusedDepthwiseConv2D, with the derivative
// conventions of tfjs's unfused kernels (Relu′(0) = 0, Relu6′ = [0 < z ≤ 6], Elu′ from y).
import * as tf from "@tensorflow/tfjs";
import type { KernelCtx } from "./types.ts";
import type { _FusedMatMulAttrs } from "@tensorflow/tfjs";

/** The fused kernels' activation attrs (the same in _FusedMatMul, FusedConv2D, FusedDepthwiseConv2D). */
export type ActivationAttrs = Pick<_FusedMatMulAttrs, "activation" | "leakyreluAlpha">;
import * as E from "./_emit.ts";
import { UnsupportedAttributeError } from "../../src/core/errors.ts";
import { mask } from "./_families.ts";

/**
 * dy from dz (the tangent of the pre-activation z) for `activation`. `z` recomputes the
 * pre-activation when the derivative needs it. PReLU adds the alpha weights' tangent.
 */
export function activationTangent(k: KernelCtx<ActivationAttrs>, dz: E.T, y: tf.Tensor, z: () => tf.Tensor): E.T {
  const act = (k.attrs.activation ?? "linear") as string;
  const alphaName = "preluActivationWeights";
  switch (act) {
    case "linear":
      return dz;
    case "relu":
      return E.mul(k, dz, mask(tf.greater(y, 0)));
    case "elu":
      return E.mul(k, dz, tf.where(tf.greater(y, 0), tf.onesLike(y), tf.add(y, 1)));
    case "sigmoid":
      return E.mul(k, dz, tf.mul(y, tf.sub(1, y)));
    case "relu6": {
      const zz = z();
      return E.mul(k, dz, mask(tf.logicalAnd(tf.greater(zz, 0), tf.lessEqual(zz, 6))));
    }
    case "leakyrelu": {
      const alpha = (k.attrs.leakyreluAlpha ?? 0.2) as number;
      return E.mul(k, dz, tf.where(tf.greater(z(), 0), tf.onesLike(y), tf.fill(y.shape, alpha)));
    }
    case "prelu": {
      const zz = z();
      const alpha = k.input(alphaName)!;
      const pos = tf.greater(zz, 0);
      const t = E.mul(k, dz, tf.where(pos, tf.onesLike(zz), tf.broadcastTo(alpha, zz.shape)));
      const da = E.broadcastTo(k, k.tangent(alphaName), zz.shape);
      return E.add(k, t, E.mul(k, da, tf.where(pos, tf.zerosLike(zz), zz)));
    }
    default:
      throw new UnsupportedAttributeError(k.kernel, "activation", act);
  }
}
