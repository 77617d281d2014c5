/**
 * The contract every linear primitive rule fulfils. The engine never switches on a primitive
 * name: everything it needs about a primitive is in its rule.
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { Eqn, ExampleAxis, PrimitiveName } from "../src/core/ir.ts";
import type { Structure } from "../src/core/structure.ts";

/** An output axis of a view reads operand axis `axis` at `offset + sign·i` (see `view`). */
export interface AxisView {
  axis: number;
  offset: number;
  sign: 1 | -1;
}

/** A primitive that only relabels, reverses, offsets or scales its operand's entries. */
export interface View {
  /** Per output axis: the operand axis it reads, or null for an inserted size-1 axis. */
  axes: (AxisView | null)[];
  scale: number;
  /**
   * An entrywise factor of `shape` (broadcastable to the output, trailing axes aligned), for a
   * product with a const: the derivative keeps its pairing, made diagonal where it varies.
   * `make` is called inside a tidy.
   */
  factor?: { shape: number[]; make: () => tf.Tensor };
}

/** Where the rows (examples) of an equation's output live, and how many there are. */
export interface ExampleRows {
  /** Number of rows R (the output's leading axis size). */
  count: number;
  /** The axis of the equation's output that carries the rows. */
  out: ExampleAxis;
}

/**
 * Rules for one linear primitive. Tangents and cotangents carry `lead` extra leading (basis)
 * axes; consts never do.
 */
export interface LinearRule<P extends PrimitiveName = PrimitiveName> {
  /**
   * Applies the primitive to tangents of its var operands (`tangents[slot]`; `null` for a zero
   * tangent, unused for const slots). At least one tangent is non-null.
   */
  apply(eqn: Eqn<P>, tangents: (tf.Tensor | null)[], lead: number): tf.Tensor;
  /** The cotangent of the var operand in `slot`, given the output's cotangent `ct`. */
  transpose(eqn: Eqn<P>, ct: tf.Tensor, lead: number, slot: number): tf.Tensor;
  /**
   * Where the rows of the output (`rows.out`) live in the var operand in `slot`: an axis of
   * that operand, or `null` when every row may read all of it (a parameter contracted with
   * per-row data, a bias broadcast over rows, or rows mixed by the primitive).
   */
  exampleAxis(eqn: Eqn<P>, rows: ExampleRows, slot: number): ExampleAxis | null;
  /**
   * Optional per-row transpose for a var operand in `slot` that is shared by all rows:
   * returns `[...lead, R, ...operandShape]`, row r holding the cotangent from output row r.
   * Called only for slots where `exampleAxis` returned null. Without it the engine masks the
   * output cotangent by row and calls `transpose` with one more lead axis.
   */
  transposeExample?(eqn: Eqn<P>, ct: tf.Tensor, lead: number, slot: number, rows: ExampleRows): tf.Tensor;
  /** FLOPs of `apply` (and, to leading order, of `transpose`) over `basis` tangent vectors. */
  flops(eqn: Eqn<P>, basis: number): number;
  /**
   * Entries of the largest temporary that `apply` or `transpose` makes per tangent vector besides
   * operands and result (a convolution's im2col patches: the input times the window), for the
   * memory estimate. Without it: none.
   */
  scratch?(eqn: Eqn<P>): number;
  /**
   * The structure of ∂y/∂(operand in `slot`) — see src/core/structure.ts. Without it, structured
   * derivatives fall back to the dense derivative for this primitive (and say so).
   */
  structure?(eqn: Eqn<P>, slot: number): Structure;
  /**
   * The trimmed Jacobian J̃ for `structure(eqn, slot)`: the kept y axes, then the kept w axes.
   * It depends on the consts (per example where they carry the rows).
   */
  jacobian?(eqn: Eqn<P>, slot: number): tf.Tensor;
  /**
   * When the primitive merely relabels, reverses, offsets or scales its single var operand
   * (reshape adding or dropping size-1 axes, transpose, rev, unit-stride slice, convert, copy,
   * neg, a scalar mul): how its output axes read the operand. Structured derivatives follow such
   * chains back to a parameter, so `reshape(W)` or `(c·W)` feeding a matmul keeps its structure.
   * Null (or absent) when it is not such a view.
   */
  view?(eqn: Eqn<P>): View | null;
  /**
   * True when the primitive is a bijection between its operand's and its output's entries in
   * row-major order (a reshape). A parameter reshaped this way contributes the same NTK as its
   * reshaped self, so structured derivatives may take the reshaped var as the parameter.
   */
  relabels?: boolean;
}
