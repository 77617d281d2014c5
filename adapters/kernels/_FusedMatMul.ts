// _FusedMatMul(a, b, bias?, preluActivationWeights?): y = act(a·b + bias).
import * as tf from "@tensorflow/tfjs";
import type { KernelRule } from "./types.ts";
import type { _FusedMatMulAttrs } from "@tensorflow/tfjs";
import * as E from "./_emit.ts";
import { matmulTangent } from "./_matmul.ts";
import { activationTangent } from "./_activation.ts";

export const _FusedMatMul: KernelRule<_FusedMatMulAttrs> = {
  linearize(k) {
    const [a, b, bias] = [k.input("a")!, k.input("b")!, k.input("bias")];
    const y = k.outputs[0];
    const { transposeA, transposeB } = k.attrs;
    const dMat = matmulTangent(
      k,
      { value: a, tangent: k.tangent("a"), transposed: transposeA },
      { value: b, tangent: k.tangent("b"), transposed: transposeB },
      y.shape,
    );
    const dz = E.add(k, dMat, bias ? E.broadcastTo(k, k.tangent("bias"), y.shape) : null);
    const z = () => {
      const m = tf.matMul(a, b, transposeA, transposeB);
      return bias ? tf.add(m, bias) : m;
    };
    k.setTangent(0, activationTangent(k, dz, y, z));
  },
};
