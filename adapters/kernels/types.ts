/**
 * What a kernel linearization sees and does: the traced kernel's primal inputs, outputs and
 * attrs, the tangent vars of its inputs, and `emit` to write the tangent map in linear
 * primitives.
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { ParamsOf, PrimitiveName, Var } from "../../src/core/ir.ts";

/** An operand for `emit`: a tangent var, or a primal tensor used as a const. */
export type Arg = Var | tf.Tensor;

/**
 * A kernel's attrs when its rule does not name their type. Rules name it where tfjs declares
 * one (`KernelRule<tf.ConcatAttrs>`: tfjs-core's kernel_names.ts), so that a misspelt or
 * mistyped attr fails the type check.
 */
// deno-lint-ignore no-explicit-any
export type AnyAttrs = Record<string, any>;

export interface KernelCtx<A extends object = AnyAttrs> {
  /** The tfjs kernel name, e.g. "_FusedMatMul". */
  readonly kernel: string;
  /** The kernel's attrs, as tfjs passed them. */
  readonly attrs: A;
  /** Input names in call order ("0", "1", … for kernels that take an array). */
  readonly inputNames: readonly string[];
  /** The primal value of an input, or null when the kernel was called without it. */
  input(name: string): tf.Tensor | null;
  /** The tangent var of an input, or null when it does not depend on the parameters. */
  tangent(name: string): Var | null;
  /** The primal outputs. */
  readonly outputs: readonly tf.Tensor[];
  /**
   * Appends `out = prim(args; params)` and returns `out`. Tensor args and tensors in `params`
   * are kept as consts of the program (the caller need not keep them).
   */
  emit<P extends PrimitiveName>(prim: P, args: Arg[], params: ParamsOf<P>, outShape: number[]): Var;
  /** Sets the tangent of output `index` (null: zero, e.g. a non-differentiable output). */
  setTangent(index: number, v: Var | null): void;
}

/** How one tfjs kernel is linearized. */
export interface KernelRule<A extends object = AnyAttrs> {
  /** Writes the kernel's tangent map; called only when some input has a tangent. */
  linearize(k: KernelCtx<A>): void;
}
