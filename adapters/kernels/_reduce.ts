// Reduction kernels' axis attrs: a number, an array, or null (all axes).
import { normAxis, range } from "../../src/core/axes.ts";

export function reductionAxes(axis: unknown, rank: number): number[] {
  if (axis === null || axis === undefined) return range(rank);
  const list = Array.isArray(axis) ? axis as number[] : [axis as number];
  return [...new Set(list.map((a) => normAxis(a, rank)))].sort((a, b) => a - b);
}
