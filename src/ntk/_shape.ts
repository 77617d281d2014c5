// The kernel's shape for a layout and the two output shapes.
import type { Layout } from "../core/layout.ts";

export function layoutShape(l: Layout, s1: readonly number[], s2: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < l.rank; i++) {
    if (l.trace.includes(i)) continue;
    if (l.diag.includes(i)) out.push(s1[i]);
    else out.push(s1[i], s2[i]);
  }
  return out;
}
