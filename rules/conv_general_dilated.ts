// conv_general_dilated(lhs, rhs; strides, padding, lhsDilation, rhsDilation, featureGroupCount),
// channels-last: lhs [N, ...spatial, C], rhs [...window, C/G, O], out [N, ...spatialOut, O].
// Linear in whichever operand is the var. tfjs kernels where every backend has one; otherwise
// im2col patches and `contract2` (wasm lacks filter and depthwise backprop kernels).
import * as tf from "@tensorflow/tfjs";
import type { Eqn } from "../src/ir.ts";
import { isVar } from "../src/ir.ts";
import { contract2, type Label } from "../src/einsum.ts";
import type { LinearRule } from "./_types.ts";
import { numel, range, splitRowsShape } from "./_axes.ts";
import { cached } from "./_cache.ts";
import { addPatches, patches, tfConv, tfConvTransposeInput, type WindowSpec } from "./_conv.ts";

type E = Eqn<"conv_general_dilated">;

const shapeAt = (eqn: E, slot: number) => {
  const o = eqn.in[slot];
  return isVar(o) ? o.var.shape : o.const.value.shape;
};
const constAt = (eqn: E, slot: number) => (eqn.in[slot] as { const: { value: tf.Tensor } }).const.value;

function spec(eqn: E): WindowSpec {
  const d = shapeAt(eqn, 0).length - 2;
  return { window: shapeAt(eqn, 1).slice(0, d), ...eqn.params };
}

/** Labels: patches [n, o.., k, g, ci], filter [k, ci, g, co], output [n, o.., g, co]. */
function labels(d: number) {
  const o: Label[] = range(d).map((i) => `o${i}`);
  return { o, patches: ["n", ...o, "k", "g", "ci"], filter: ["k", "ci", "g", "co"], out: ["n", ...o, "g", "co"] };
}

/** Sizes for reshaping into group-split form. */
function dims(eqn: E) {
  const lhs = shapeAt(eqn, 0), rhs = shapeAt(eqn, 1);
  const d = lhs.length - 2, g = eqn.params.featureGroupCount;
  const ci = rhs[d], cout = rhs[d + 1];
  return { d, g, ci, co: cout / g, k: numel(rhs.slice(0, d)), n: lhs[0], spatial: lhs.slice(1, -1) };
}

function patchesOf(eqn: E): tf.Tensor {
  const { d, g, ci } = dims(eqn);
  return cached(eqn, "patches", () => {
    const p = patches(constAt(eqn, 0), spec(eqn));
    return tf.reshape(p, [...p.shape.slice(0, d + 2), g, ci]);
  });
}

const fold = (t: tf.Tensor, lead: number) => tf.reshape(t, [-1, ...t.shape.slice(lead + 1)]);
const unfold = (t: tf.Tensor, ld: number[]) => tf.reshape(t, [...ld, -1, ...t.shape.slice(1)]);

/** Convolution of a const-free lhs `x` with filter `f`. */
function convLhs(eqn: E, x: tf.Tensor, f: tf.Tensor): tf.Tensor {
  const fast = tfConv(x, f, spec(eqn), eqn.params.featureGroupCount);
  if (fast) return fast;
  const { d, g, ci, co, k } = dims(eqn);
  const p = patches(x, spec(eqn));
  const l = labels(d);
  const y = contract2(
    tf.reshape(p, [...p.shape.slice(0, d + 2), g, ci]),
    l.patches,
    tf.reshape(f, [k, ci, g, co]),
    l.filter,
    l.out,
  );
  return tf.reshape(y, [...y.shape.slice(0, d + 1), g * co]);
}

export const convGeneralDilated: LinearRule<"conv_general_dilated"> = {
  apply: (eqn, tangents, lead) => {
    if (isVar(eqn.in[0])) {
      const v = tangents[0]!;
      return unfold(convLhs(eqn, fold(v, lead), constAt(eqn, 1)), v.shape.slice(0, lead));
    }
    const v = tangents[1]!;
    const ld = v.shape.slice(0, lead), L = numel(ld);
    const { d, g, ci, co, k } = dims(eqn);
    if (g === 1) {
      // Fold the basis into output channels: one convolution for every basis vector.
      const f = tf.reshape(v, [L, ...v.shape.slice(lead)]);
      const fT = tf.reshape(tf.transpose(f, [...range(d + 1, 1), 0, d + 2]), [...f.shape.slice(1, d + 2), L * co]);
      const y = convLhs(eqn, constAt(eqn, 0), fT);
      const y5 = tf.reshape(y, [...y.shape.slice(0, d + 1), L, co]);
      return tf.reshape(tf.transpose(y5, [d + 1, ...range(d + 1), d + 2]), [...ld, ...eqn.out.shape]);
    }
    const l = labels(d);
    const y = contract2(patchesOf(eqn), l.patches, tf.reshape(v, [L, k, ci, g, co]), ["L", ...l.filter], ["L", ...l.out]);
    return tf.reshape(y, [...ld, ...eqn.out.shape]);
  },
  transpose: (eqn, ct, lead, slot) => {
    const ld = ct.shape.slice(0, lead), L = numel(ld);
    const { d, g, ci, co, k, spatial } = dims(eqn);
    const l = labels(d);
    if (slot === 0) {
      const f = constAt(eqn, 1);
      const c = fold(ct, lead);
      const inShape = [c.shape[0], ...spatial, g * ci];
      const fast = tfConvTransposeInput(c, f, spec(eqn), g, inShape);
      if (fast) return unfold(fast, ld);
      const cp = contract2(
        tf.reshape(c, [...c.shape.slice(0, d + 1), g, co]),
        l.out,
        tf.reshape(f, [k, ci, g, co]),
        l.filter,
        ["n", ...l.o, "k", "g", "ci"],
      );
      const p = tf.reshape(cp, [...cp.shape.slice(0, d + 2), g * ci]);
      return unfold(addPatches(p, spec(eqn), spatial), ld);
    }
    const c = tf.reshape(ct, [L, ...ct.shape.slice(lead, lead + d + 1), g, co]);
    const y = contract2(patchesOf(eqn), l.patches, c, ["L", ...l.out], ["L", ...l.filter]);
    return tf.reshape(y, [...ld, ...shapeAt(eqn, 1)]);
  },
  exampleAxis: (eqn, rows, slot) => {
    const last = eqn.out.shape.length - 1;
    if (slot === 0) return rows.out.axis === 0 ? rows.out : null;
    return rows.out.axis === last ? { ...rows.out, axis: shapeAt(eqn, 1).length - 1 } : null;
  },
  // The filter, rows along the batch axis: per-row patches-by-cotangent products.
  transposeExample: (eqn, ct, lead, slot, rows) => {
    if (slot !== 1 || rows.out.axis !== 0) throw new Error("conv transposeExample: rows must be on the batch axis");
    const ld = ct.shape.slice(0, lead), L = numel(ld);
    const { d, g, co } = dims(eqn);
    const l = labels(d);
    const split = (ls: Label[]) => ["no", "R", "ni", ...ls.slice(1)];
    const p = patchesOf(eqn);
    const pS = tf.reshape(p, splitRowsShape(p.shape, 0, rows.out, rows.count));
    const c = tf.reshape(ct, [L, ...ct.shape.slice(lead, lead + d + 1), g, co]);
    const cS = tf.reshape(c, splitRowsShape(c.shape, 1, rows.out, rows.count));
    const y = contract2(pS, split(l.patches), cS, ["L", ...split(l.out)], ["L", "R", ...l.filter]);
    return tf.reshape(y, [...ld, rows.count, ...shapeAt(eqn, 1)]);
  },
  flops: (eqn, basis) => {
    const { ci, k } = dims(eqn);
    return 2 * basis * numel(eqn.out.shape) * k * ci;
  },
};
