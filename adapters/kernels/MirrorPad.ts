// MirrorPad(x; paddings, mode): dy = dx mirror-padded the same way: per axis, the reversed edge
// slices concatenated around it (reflect leaves out the edge entry, symmetric repeats it).
// tfjs's own gradient only crops dy (it drops the mirrored entries' share), so tests use a
// reference built from slices, reverses and concats.
import type { KernelRule } from "./types.ts";
import type { MirrorPadAttrs } from "@tensorflow/tfjs";
import * as E from "./_emit.ts";
import { UnsupportedAttributeError } from "../../src/core/errors.ts";
import { sliceAlong } from "./_structural_util.ts";

export const MirrorPad: KernelRule<MirrorPadAttrs> = {
  linearize(k) {
    const mode = k.attrs.mode;
    if (mode !== "reflect" && mode !== "symmetric") throw new UnsupportedAttributeError(k.kernel, "mode", mode);
    const skip = mode === "reflect" ? 1 : 0;
    let t: E.T = k.tangent("x");
    const shape = k.input("x")!.shape.slice();
    k.attrs.paddings.forEach(([lo, hi], axis) => {
      const n = shape[axis];
      const mirrored = (start: number, size: number) => {
        const part = sliceAlong(k, t, shape, axis, start, size)!;
        return k.emit("rev", [part], { dimensions: [axis] }, part.shape);
      };
      // [reflected lo entries, t, reflected hi entries], leaving out empty parts.
      const parts: [E.T, number][] = [[lo ? mirrored(skip, lo) : null, lo], [t, n], [
        hi ? mirrored(n - hi - skip, hi) : null,
        hi,
      ]];
      const live = parts.filter(([, size]) => size > 0);
      if (live.length === 1) return;
      const shapes = live.map(([, size]) => shape.map((d, i) => (i === axis ? size : d)));
      t = E.concat(k, live.map(([v]) => v), shapes, axis);
      shape[axis] = n + lo + hi;
    });
    k.setTangent(0, t);
  },
};
