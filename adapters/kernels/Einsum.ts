// Einsum(x0[, x1]; equation): linear in each operand. One operand: dy = dx summed over the
// labels missing from the output, then transposed. Two: each operand's tangent contracted with
// the other operand (a const) by a dot_general, transposed to the output order, and summed.
// tfjs's Einsum takes at most two operands, no repeated label within one, and an explicit '->'.
import * as tf from "@tensorflow/tfjs";
import type { KernelCtx, KernelRule } from "./types.ts";
import type { EinsumAttrs } from "@tensorflow/tfjs";
import * as E from "./_emit.ts";
import { UnsupportedAttributeError } from "../../src/core/errors.ts";

function parse(k: KernelCtx<EinsumAttrs>): { terms: string[][]; out: string[] } {
  const eq = k.attrs.equation.replace(/\s/g, "");
  const [ins, out, extra] = eq.split("->");
  const terms = (ins ?? "").split(",").map((t) => [...t]);
  const repeats = (ls: string[]) => new Set(ls).size !== ls.length;
  if (out === undefined || extra !== undefined || terms.length > 2 || terms.some(repeats) || repeats([...out])) {
    throw new UnsupportedAttributeError(k.kernel, "equation", k.attrs.equation);
  }
  return { terms, out: [...out] };
}

/** Positions of `ls` in `of`. */
const at = (of: string[], ls: string[]) => ls.map((l) => of.indexOf(l));

/** Sums the labels absent from both `others` and `out` (a tangent or a const). */
function dropPrivate<A extends E.T | tf.Tensor>(
  k: KernelCtx,
  t: A,
  labels: string[],
  others: string[],
  out: string[],
): [A, string[]] {
  const axes = labels.flatMap((l, i) => (others.includes(l) || out.includes(l) ? [] : [i]));
  const kept = labels.filter((_, i) => !axes.includes(i));
  if (!axes.length) return [t, kept];
  const summed = t instanceof tf.Tensor ? tf.sum(t, axes) : E.reduceSum(k, t as E.T, axes);
  return [summed as A, kept];
}

export const Einsum: KernelRule<EinsumAttrs> = {
  linearize(k) {
    const { terms, out } = parse(k);
    const names = k.inputNames;
    if (terms.length === 1) {
      const [v, kept] = dropPrivate(k, k.tangent(names[0]), terms[0], [], out);
      k.setTangent(0, E.transpose(k, v, at(kept, out)));
      return;
    }
    const size = new Map<string, number>();
    terms.forEach((ls, s) => ls.forEach((l, i) => size.set(l, k.input(names[s])!.shape[i])));
    const parts = [0, 1].map((s) => {
      const [v, own] = dropPrivate(k, k.tangent(names[s]), terms[s], terms[1 - s], out);
      if (!v) return null;
      const [c, other] = dropPrivate(k, k.input(names[1 - s])!, terms[1 - s], terms[s], out);
      const [lhs, rhs] = s === 0 ? [own, other] : [other, own];
      const shared = lhs.filter((l) => rhs.includes(l));
      const batch = shared.filter((l) => out.includes(l));
      const contract = shared.filter((l) => !out.includes(l));
      const result = [...batch, ...lhs.filter((l) => !shared.includes(l)), ...rhs.filter((l) => !shared.includes(l))];
      const params = {
        contract: [at(lhs, contract), at(rhs, contract)] as [number[], number[]],
        batch: [at(lhs, batch), at(rhs, batch)] as [number[], number[]],
      };
      const dot = k.emit("dot_general", s === 0 ? [v, c] : [c, v], params, result.map((l) => size.get(l)!));
      return E.transpose(k, dot, at(result, out));
    });
    const dy = E.add(k, parts[0], parts[1]);
    // tfjs 4.22 returns a wrongly shaped result for some equations that sum several labels
    // (e.g. "ij,jk->k"): that is not the einsum, so there is no tangent to give.
    if (dy && dy.shape.join() !== k.outputs[0].shape.join()) {
      throw new UnsupportedAttributeError(k.kernel, "equation", k.attrs.equation);
    }
    k.setTangent(0, dy);
  },
};
