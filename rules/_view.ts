// Views: primitives that only relabel, reverse, offset or scale their operand (see `View` in
// _types.ts). Structured derivatives follow chains of them back to a parameter.
import type { AxisView, View } from "./_types.ts";

const same = (i: number): AxisView => ({ axis: i, offset: 0, sign: 1 });

/** Every output axis reads the same operand axis, times `scale`. */
export function identityView(rank: number, scale = 1): View {
  return { axes: Array.from({ length: rank }, (_, i) => same(i)), scale };
}

/**
 * A reshape that only inserts or drops size-1 axes is a view (the other axes pair in order);
 * any other reshape merges or splits axes and is not.
 */
export function unitReshapeView(operand: readonly number[], out: readonly number[]): View | null {
  const opAxes = operand.flatMap((s, i) => (s === 1 ? [] : [i]));
  const outAxes = out.flatMap((s, i) => (s === 1 ? [] : [i]));
  if (opAxes.length !== outAxes.length || opAxes.some((a, k) => operand[a] !== out[outAxes[k]])) return null;
  const axes: (AxisView | null)[] = out.map(() => null);
  outAxes.forEach((o, k) => (axes[o] = same(opAxes[k])));
  return { axes, scale: 1 };
}
