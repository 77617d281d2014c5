/**
 * Families of kernel linearizations: elementwise unary and binary kernels, pass-through
 * kernels, and kernels with a zero derivative.
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { AnyAttrs, KernelCtx, KernelRule } from "./types.ts";
import * as E from "./_emit.ts";

/** dy = dx · f'(x, y), with f' computed from the primal input and output. */
export function unary<A extends object = AnyAttrs>(
  deriv: (x: tf.Tensor, y: tf.Tensor, k: KernelCtx<A>) => tf.Tensor,
  input = "x",
): KernelRule<A> {
  return {
    linearize(k) {
      const x = k.input(input)!;
      k.setTangent(0, E.mul(k, k.tangent(input), deriv(x, k.outputs[0], k)));
    },
  };
}

/** The output is the input's tangent, unchanged (Identity, same-dtype Cast). */
export function passThrough(prim: "copy" | "convert_element_type", input = "x"): KernelRule {
  return {
    linearize(k) {
      const v = k.tangent(input);
      if (!v) return;
      k.setTangent(
        0,
        prim === "copy"
          ? k.emit("copy", [v], {}, v.shape)
          : k.emit("convert_element_type", [v], { dtype: "float32" }, v.shape),
      );
    },
  };
}

/** A kernel whose derivative is zero (or undefined, like comparisons): no output tangent. */
export const zeroDerivative: KernelRule = { linearize() {} };

/**
 * A broadcasting binary kernel: dy = ∂y/∂a · bcast(da) + ∂y/∂b · bcast(db). `partials` returns
 * the coefficients (null for a coefficient of exactly 1, 'neg' for −1), each broadcastable to y.
 */
export function binary(
  partials: (a: tf.Tensor, b: tf.Tensor, y: tf.Tensor, k: KernelCtx) => [Coef, Coef],
  names: [string, string] = ["a", "b"],
): KernelRule {
  return {
    linearize(k) {
      const [a, b] = [k.input(names[0])!, k.input(names[1])!];
      const y = k.outputs[0];
      const [pa, pb] = partials(a, b, y, k);
      const ta = scaled(k, E.broadcastTo(k, k.tangent(names[0]), y.shape), pa);
      const tb = scaled(k, E.broadcastTo(k, k.tangent(names[1]), y.shape), pb);
      k.setTangent(0, E.add(k, ta, tb));
    },
  };
}

export type Coef = tf.Tensor | "one" | "neg" | "zero";

function scaled(k: KernelCtx, v: E.T, c: Coef): E.T {
  if (!v || c === "zero") return null;
  if (c === "one") return v;
  if (c === "neg") return E.neg(k, v);
  return E.mul(k, v, c);
}

/** float32 mask of a boolean tensor (never a Cast: see src/core/tensor_util.ts). */
export { floatMask as mask } from "../../src/core/tensor_util.ts";
