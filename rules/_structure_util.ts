/**
 * Shared pieces of the rules' `structure` and `jacobian` (src/core/structure.ts): structures built
 * from a few lists, and "plans" — a structure whose trimmed Jacobian J̃ is a Kronecker product
 * of small dense factors known from the params alone (reshape blocks, pads, slices, reversals,
 * running sums, window indicators).
 * @module
 */
import { operandShape } from "../src/core/ir.ts";
import * as tf from "@tensorflow/tfjs";
import type { Eqn, PrimitiveName } from "../src/core/ir.ts";
import type { Structure } from "../src/core/structure.ts";
import { oneHotRows } from "../src/core/tensor_util.ts";
import type { LinearRule } from "./_types.ts";
import { numel, range } from "../src/core/axes.ts";
import { cached } from "./_cache.ts";

type Pair = [y: number, w: number];

/** A structure from the parts given (the rest empty). */
export function structureOf(parts: Partial<Structure>): Structure {
  return { constantBlockDiagonal: [], blockDiagonal: [], outputTiled: [], inputTiled: [], ...parts };
}

/** Every axis paired with itself: y and w have the same shape. */
export const sameAxes = (rank: number): Pair[] => range(rank).map((a) => [a, a]);

/** Identity-like maps between same-shaped y and w, y = k·w (k per slot): J̃ is the scalar k. */
export function scaledIdentity(k: (slot: number) => number): Pick<LinearRule, "structure" | "jacobian"> {
  return {
    structure: (eqn) => structureOf({ constantBlockDiagonal: sameAxes(eqn.out.shape.length) }),
    jacobian: (_eqn, slot) => tf.scalar(k(slot)),
  };
}

/**
 * y = w ⊙ c, w of y's shape, c broadcasting to it (numpy, trailing axes aligned): an axis where c
 * has size 1 (or none) is constant-block-diagonal, the others block-diagonal.
 */
export function elementwiseStructure(out: readonly number[], c: readonly number[]): Structure {
  const off = out.length - c.length;
  const varies = (a: number) => a >= off && c[a - off] !== 1;
  return structureOf({
    constantBlockDiagonal: sameAxes(out.length).filter(([a]) => !varies(a)),
    blockDiagonal: sameAxes(out.length).filter(([a]) => varies(a)),
  });
}

/** J̃ of `elementwiseStructure`: the factor with its size-1 axes dropped (a new tensor). */
export const elementwiseJacobian = (c: tf.Tensor): tf.Tensor => tf.reshape(c, c.shape.filter((s) => s !== 1));

// ---- plans: J̃ as a Kronecker product of dense factors -----------------------------------

/** A dense factor over y axes `y` and w axes `w`: a row-major [Π y sizes, Π w sizes] matrix. */
export interface Factor {
  y: number[];
  w: number[];
  matrix: Float32Array;
}

/** A structure without selection whose J̃ = scale · ⊗ factors, from the params alone. */
export interface Plan {
  constantBlockDiagonal: Pair[];
  outputTiled: number[];
  inputTiled: number[];
  factors: Factor[];
  scale: number;
}

export function planStructure(p: Plan): Structure {
  return structureOf({
    constantBlockDiagonal: p.constantBlockDiagonal,
    outputTiled: p.outputTiled,
    inputTiled: p.inputTiled,
  });
}

/**
 * J̃ of a plan. The factors' y axes, taken factor by factor, must increase, and so must their
 * w axes: then the Kronecker product of the matrices, reshaped, is J̃ in its axis order.
 */
export function planJacobian(p: Plan, y: readonly number[], w: readonly number[]): tf.Tensor {
  const fs = [...p.factors].sort((a, b) => (a.y[0] ?? a.w[0]) - (b.y[0] ?? b.w[0]));
  const ys = fs.flatMap((f) => f.y), ws = fs.flatMap((f) => f.w);
  const increasing = (xs: number[]) => xs.every((x, i) => i === 0 || xs[i - 1] < x);
  if (!increasing(ys) || !increasing(ws)) throw new Error("planJacobian: factors are not monotone in y and w");
  return tf.tidy(() => {
    let acc: tf.Tensor = tf.fill([1, 1], p.scale);
    for (const f of fs) {
      const [r, c] = [numel(f.y.map((a) => y[a])), numel(f.w.map((b) => w[b]))];
      const m = tf.tensor(f.matrix, [1, r, 1, c]);
      const [ar, ac] = acc.shape;
      acc = tf.reshape(tf.mul(tf.reshape(acc, [ar, 1, ac, 1]), m), [ar * r, ac * c]);
    }
    return tf.reshape(acc, [...ys.map((a) => y[a]), ...ws.map((b) => w[b])]);
  });
}

/** A `[rows, cols]` matrix with entries `f(row, col)`. */
export function matrix(rows: number, cols: number, f: (j: number, i: number) => number): Float32Array {
  const m = new Float32Array(rows * cols);
  for (let j = 0; j < rows; j++) for (let i = 0; i < cols; i++) m[j * cols + i] = f(j, i);
  return m;
}

const isIdentity = (m: Float32Array, n: number) => m.every((v, k) => v === (k % (n + 1) === 0 ? 1 : 0));

/**
 * The plan of a map that acts on each axis alone (y axis a ↔ w axis a): `factorOf(a)` is the
 * [y_a, w_a] matrix of axis a, or null where the axis is untouched. Identity and 1×1 factors
 * become constant-block-diagonal pairs (a 1×1 one scales J̃).
 */
export function perAxisPlan(
  y: readonly number[],
  w: readonly number[],
  factorOf: (a: number) => Float32Array | null,
): Plan {
  const p: Plan = { constantBlockDiagonal: [], outputTiled: [], inputTiled: [], factors: [], scale: 1 };
  for (const a of range(y.length)) {
    const m = factorOf(a);
    if (m === null || (y[a] === w[a] && isIdentity(m, y[a]))) p.constantBlockDiagonal.push([a, a]);
    else if (y[a] === 1 && w[a] === 1) {
      p.constantBlockDiagonal.push([a, a]);
      p.scale *= m[0];
    } else p.factors.push({ y: [a], w: [a], matrix: m });
  }
  return p;
}

/**
 * The plan of a row-major reshape from w to y: size-1 axes are tiled; the others pair up in
 * the common refinement (contiguous blocks of equal size). A block of one axis on each side is
 * constant-block-diagonal, a larger one a dense identity factor.
 */
export function reshapePlan(y: readonly number[], w: readonly number[]): Plan {
  const p: Plan = { constantBlockDiagonal: [], outputTiled: [], inputTiled: [], factors: [], scale: 1 };
  p.outputTiled = range(y.length).filter((a) => y[a] === 1);
  p.inputTiled = range(w.length).filter((b) => w[b] === 1);
  const ya = range(y.length).filter((a) => y[a] !== 1), wa = range(w.length).filter((b) => w[b] !== 1);
  if (numel(y) === 0) {
    p.factors.push({ y: ya, w: wa, matrix: new Float32Array(0) });
    return p;
  }
  let [i, j] = [0, 0];
  while (i < ya.length) {
    const by = [ya[i++]], bw = [wa[j++]];
    let [py, pw] = [y[by[0]], w[bw[0]]];
    while (py !== pw) {
      if (py < pw) {
        by.push(ya[i++]);
        py *= y[by[by.length - 1]];
      } else {
        bw.push(wa[j++]);
        pw *= w[bw[bw.length - 1]];
      }
    }
    if (by.length === 1 && bw.length === 1) p.constantBlockDiagonal.push([by[0], bw[0]]);
    else p.factors.push({ y: by, w: bw, matrix: matrix(py, pw, (r, c) => (r === c ? 1 : 0)) });
  }
  return p;
}

/** `structure` and `jacobian` of a rule whose plan depends on the params alone; J̃ is cached. */
export function planned<P extends PrimitiveName>(
  planOf: (eqn: Eqn<P>, slot: number) => Plan,
  wShape: (eqn: Eqn<P>, slot: number) => number[],
): Pick<LinearRule<P>, "structure" | "jacobian"> {
  return {
    structure: (eqn, slot) => planStructure(planOf(eqn, slot)),
    jacobian: (eqn, slot) =>
      tf.clone(
        cached(eqn as Eqn, `jacobian:${slot}`, () => planJacobian(planOf(eqn, slot), eqn.out.shape, wShape(eqn, slot))),
      ),
  };
}

/** The shape of the var in `slot`. */
export const varShape = (eqn: Eqn, slot: number): number[] => operandShape(eqn, slot);

/**
 * `[B, m, size]`: the one-hot of flat positions `[B, ...]` (m entries per batch slot) within
 * their batch slot, slot b owning positions b·size … b·size + size − 1.
 */
export function slotOneHot(positions: tf.Tensor, size: number): tf.Tensor {
  return tf.tidy(() => {
    const b = positions.shape[0];
    const m = numel(positions.shape.slice(1));
    const flat = tf.reshape(positions, [b, m]);
    const slotStart = tf.mul(tf.reshape(tf.range(0, b, 1, "int32"), [b, 1]), tf.scalar(size, "int32"));
    return tf.reshape(oneHotRows(tf.sub(flat, slotStart), size), [b, m, size]);
  });
}
