/**
 * Tensor-free axis arithmetic shared by the rules: shapes, lead axes, and following the row
 * (example) axis through reshapes.
 * @module
 */
import type { ExampleAxis } from "./ir.ts";

export function numel(shape: readonly number[]): number {
  let p = 1;
  for (const s of shape) p *= s;
  return p;
}

export function range(n: number, start = 0): number[] {
  return Array.from({ length: n }, (_, i) => start + i);
}

/** Normalizes a possibly negative axis for a tensor of `rank`. */
export function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new RangeError(`Axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** The leading `lead` dims of a tangent tensor's shape. */
export function leadDims(shape: readonly number[], lead: number): number[] {
  return shape.slice(0, lead);
}

/** The inverse of a permutation. */
export function invertPermutation(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

export function sameExampleAxis(a: ExampleAxis | null, b: ExampleAxis | null): boolean {
  if (a === null || b === null) return a === b;
  return a.axis === b.axis && a.outer === b.outer && a.inner === b.inner;
}

/**
 * Follows rows through a reshape from `from` to `to`: the row index of a position along
 * `ex.axis` of `from` is `floor(i / ex.inner) % R`. Returns the axis of `to` that carries the
 * rows with its outer/inner factors, or null when the rows straddle several axes of `to`.
 */
export function reshapeExampleAxis(
  from: readonly number[],
  to: readonly number[],
  ex: ExampleAxis,
  rows: number,
): ExampleAxis | null {
  // In flat row-major order, the row index is floor(flat / low) % R.
  const low = numel(from.slice(ex.axis + 1)) * ex.inner;
  let stride = numel(to);
  for (let k = 0; k < to.length; k++) {
    stride /= to[k]; // stride of axis k of `to`
    if (low % stride !== 0) continue;
    const inner = low / stride;
    if (to[k] % (inner * rows) !== 0) continue;
    // The rows must fit inside this axis: low * rows <= stride * size.
    if (low * rows > stride * to[k]) continue;
    return { axis: k, outer: to[k] / (inner * rows), inner };
  }
  return null;
}

/** The shape with axis `axis` split into `[outer, R, inner]` per `ex`. */
export function splitRowsShape(shape: readonly number[], axis: number, ex: ExampleAxis, rows: number): number[] {
  return [...shape.slice(0, axis), ex.outer, rows, ex.inner, ...shape.slice(axis + 1)];
}

/** Window offsets in row-major order. */
export function windowOffsets(window: readonly number[]): number[][] {
  let acc: number[][] = [[]];
  for (const k of window) acc = acc.flatMap((o) => Array.from({ length: k }, (_, i) => [...o, i]));
  return acc;
}
