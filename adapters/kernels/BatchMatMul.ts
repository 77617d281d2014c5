// BatchMatMul(a, b; transposeA, transposeB): d(a·b) = da·b + a·db, batch axes broadcast.
import type { KernelRule } from "./types.ts";
import type { BatchMatMulAttrs } from "@tensorflow/tfjs";
import { matmulTangent } from "./_matmul.ts";

export const BatchMatMul: KernelRule<BatchMatMulAttrs> = {
  linearize(k) {
    const { transposeA, transposeB } = k.attrs;
    k.setTangent(
      0,
      matmulTangent(
        k,
        { value: k.input("a")!, tangent: k.tangent("a"), transposed: transposeA },
        { value: k.input("b")!, tangent: k.tangent("b"), transposed: transposeB },
        k.outputs[0].shape,
      ),
    );
  },
};
