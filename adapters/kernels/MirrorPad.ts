// MirrorPad(x; paddings, mode): dy = dx mirror-padded the same way: per axis, the reversed edge
// slices concatenated around it (reflect leaves out the edge entry, symmetric repeats it).
// tfjs's own gradient only crops dy (it drops the mirrored entries' share).
import type { KernelRule } from "./_types.ts";
import * as E from "./_emit.ts";
import { UnsupportedAttributeError } from "../../src/errors.ts";
import { sliceAlong } from "./_structural_util.ts";

export const MirrorPad: KernelRule = {
  linearize(k) {
    const mode = k.attrs.mode as string;
    if (mode !== "reflect" && mode !== "symmetric") throw new UnsupportedAttributeError(k.kernel, "mode", mode);
    const skip = mode === "reflect" ? 1 : 0;
    const paddings = k.attrs.paddings as [number, number][];
    let t: E.T = k.tangent("x");
    const shape = k.input("x")!.shape.slice();
    paddings.forEach(([lo, hi], axis) => {
      if (lo === 0 && hi === 0) return;
      const n = shape[axis];
      const mirrored = (start: number, size: number): E.T => {
        const part = sliceAlong(k, t, shape, axis, start, size)!;
        return k.emit("rev", [part], { dimensions: [axis] }, part.shape);
      };
      const parts = [lo > 0 ? mirrored(skip, lo) : null, t, hi > 0 ? mirrored(n - hi - skip, hi) : null];
      const sizes = [lo, n, hi];
      const keep = sizes.map((s) => s > 0);
      t = E.concat(k, parts.filter((_, i) => keep[i]), sizes.filter((s) => s > 0).map((s) => shape.map((d, i) => (i === axis ? s : d))), axis);
      shape[axis] = n + lo + hi;
    });
    k.setTangent(0, t);
  },
};
