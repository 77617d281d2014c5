// FusedBatchNorm(x, mean, variance, offset?, scale?): y = (x − m)·s·r + o, r = (v + ε)^−½, so
// dy = (dx − dm)·s·r + (x − m)·r·ds − ½(x − m)·s·r³·dv + do, every input broadcast to x.
import * as tf from "@tensorflow/tfjs";
import type { KernelCtx, KernelRule } from "./types.ts";
import type { FusedBatchNormAttrs } from "@tensorflow/tfjs";
import * as E from "./_emit.ts";
import { UnsupportedAttributeError } from "../../src/core/errors.ts";

/**
 * tfjs's cpu kernel reads mean/variance/scale/offset cyclically over x's flat entries; that is
 * numpy broadcasting only when their shape (less leading 1s) is a trailing part of x's.
 */
function checkShape(k: KernelCtx, name: string, x: tf.Tensor): void {
  const p = k.input(name)?.shape;
  if (!p) return;
  const first = p.findIndex((s) => s !== 1);
  const q = first < 0 ? [] : p.slice(first);
  const tail = x.shape.slice(x.rank - q.length);
  if (q.length > x.rank || q.some((s, i) => s !== tail[i])) {
    throw new UnsupportedAttributeError(k.kernel, `${name}.shape`, p);
  }
}

export const FusedBatchNorm: KernelRule<FusedBatchNormAttrs> = {
  linearize(k) {
    const x = k.input("x")!, mean = k.input("mean")!, variance = k.input("variance")!;
    const scale = k.input("scale"), shape = x.shape;
    for (const n of ["mean", "variance", "offset", "scale"]) checkShape(k, n, x);
    const eps = (k.attrs.varianceEpsilon ?? 0.001) as number;
    const r = tf.rsqrt(tf.add(variance, eps));
    const sr = scale ? tf.mul(scale, r) : r;
    const centered = tf.sub(x, mean);
    const term = (name: string, coef: tf.Tensor | null) => {
      const v = E.broadcastTo(k, k.tangent(name), shape);
      return coef ? E.mul(k, v, coef) : v;
    };
    k.setTangent(
      0,
      E.addAll(k, [
        term("x", sr),
        term("mean", tf.neg(sr)),
        term("variance", tf.mul(-0.5, tf.mul(centered, tf.mul(sr, tf.square(r))))),
        term("scale", tf.mul(centered, r)),
        term("offset", null),
      ]),
    );
  },
};
