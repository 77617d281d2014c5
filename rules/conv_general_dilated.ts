// conv_general_dilated(lhs, rhs; strides, padding, lhsDilation, rhsDilation, featureGroupCount),
// channels-last: lhs [N, ...spatial, C], rhs [...window, C/G, O], out [N, ...spatialOut, O].
// Linear in whichever operand is the var. tfjs kernels where every backend has one; otherwise
// im2col patches and `contract2` (wasm lacks filter and depthwise backprop kernels).
import { constAt, operandShape } from "../src/core/ir.ts";
import * as tf from "@tensorflow/tfjs";
import type { Eqn, Var } from "../src/core/ir.ts";
import { isVar } from "../src/core/ir.ts";
import { contract2, type Label } from "../src/core/einsum.ts";
import type { ExampleRows, LinearRule } from "./_types.ts";
import { numel, range } from "../src/core/axes.ts";
import { cached } from "./_cache.ts";
import { addPatches, patches, tfConv, tfConvTransposeInput, transposedConv, type WindowSpec } from "./_conv.ts";
import { broadcastToB, maskEachRow, transposeB } from "../src/core/tensor_ops.ts";
import { structureOf } from "./_structure_util.ts";
import { denseJacobian } from "../src/core/structure.ts";

type E = Eqn<"conv_general_dilated">;

function spec(eqn: E): WindowSpec {
  const d = operandShape(eqn, 0).length - 2;
  return { window: operandShape(eqn, 1).slice(0, d), ...eqn.params };
}

/**
 * Labels: patches [n, o, k, g, ci], filter [k, ci, g, co], output [n, o, g, co], the output's
 * spatial axes merged into o.
 */
const L = {
  patches: ["n", "o", "k", "g", "ci"] as Label[],
  filter: ["k", "ci", "g", "co"] as Label[],
  out: ["n", "o", "g", "co"] as Label[],
};

/** Sizes for reshaping into group-split form. */
function dims(eqn: E) {
  const lhs = operandShape(eqn, 0), rhs = operandShape(eqn, 1);
  const d = lhs.length - 2, g = eqn.params.featureGroupCount;
  const ci = rhs[d], cout = rhs[d + 1];
  const outSpatial = eqn.out.shape.slice(1, -1);
  return {
    d,
    g,
    ci,
    co: cout / g,
    k: numel(rhs.slice(0, d)),
    n: lhs[0],
    spatial: lhs.slice(1, -1),
    outSpatial,
    o: numel(outSpatial),
  };
}

/** The lhs's im2col patches, `[N, O, K, G, Ci]` (labels `L.patches`). */
function patchesOf(eqn: E): tf.Tensor {
  const { g, ci, k, o } = dims(eqn);
  const lhs = constAt(eqn, 0);
  return cached(eqn, "patches", () => tf.reshape(patches(lhs, spec(eqn)), [lhs.shape[0], o, k, g, ci]));
}

// Sizes spelled out, never -1: a zero-size axis (no channels) leaves -1 undetermined.
const fold = (t: tf.Tensor, lead: number) =>
  tf.reshape(t, [numel(t.shape.slice(0, lead + 1)), ...t.shape.slice(lead + 1)]);
/** Splits the folded axis back into `ldn` (the lead axes and the batch). */
const unfold = (t: tf.Tensor, ldn: number[]) => tf.reshape(t, [...ldn, ...t.shape.slice(1)]);

/** Convolution of a const-free lhs `x` with filter `f`. */
function convLhs(eqn: E, x: tf.Tensor, f: tf.Tensor): tf.Tensor {
  const fast = tfConv(x, f, spec(eqn), eqn.params.featureGroupCount);
  if (fast) return fast;
  const { g, ci, k, o, outSpatial } = dims(eqn);
  const co = f.shape[f.rank - 1] / g; // not dims' co: apply folds basis vectors into f's channels
  const p = tf.reshape(patches(x, spec(eqn)), [x.shape[0], o, k, g, ci]);
  const y = contract2(p, L.patches, tf.reshape(f, [k, ci, g, co]), L.filter, L.out);
  return tf.reshape(y, [x.shape[0], ...outSpatial, g * co]);
}

/** The cotangent masked by each row, transposed with one more lead axis. */
function byMask(eqn: E, ct: tf.Tensor, lead: number, slot: number, rows: ExampleRows): tf.Tensor {
  const masked = maskEachRow(ct, lead, eqn.out.shape, rows.count, rows.out);
  return convGeneralDilated.transpose(eqn, masked, lead + 1, slot);
}

/**
 * J̃ for the filter: the patches `[N, ...outSpatial, ...window, C]`; grouped, with the output
 * channel kept: `[N, ...outSpatial, O, ...window, C/G]`, channel o reading its group's patches.
 */
function filterJacobian(eqn: E): tf.Tensor {
  const { d, g, ci, co, n, o, outSpatial } = dims(eqn);
  const window = operandShape(eqn, 1).slice(0, d);
  if (g === 1) return tf.reshape(patchesOf(eqn), [n, ...outSpatial, ...window, ci]);
  return tf.tidy(() => {
    const byGroup = tf.reshape(transposeB(patchesOf(eqn), [0, 1, 3, 2, 4]), [n, o, g, 1, numel(window), ci]);
    const perChannel = broadcastToB(byGroup, [n, o, g, co, numel(window), ci]);
    return tf.reshape(perChannel, [n, ...outSpatial, g * co, ...window, ci]);
  });
}

/** J̃ for the input: one example's convolution matrix `[...outSpatial, O, ...spatial, C]`. */
function inputJacobian(eqn: E): tf.Tensor {
  const lhs = operandShape(eqn, 0), out = eqn.out.shape;
  const one: E = {
    ...eqn,
    in: [{ var: { ...(eqn.in[0] as { var: Var }).var, shape: [1, ...lhs.slice(1)] } }, eqn.in[1]],
    out: { ...eqn.out, shape: [1, ...out.slice(1)] },
    cache: undefined,
  };
  const jt = tf.reshape(denseJacobian(convGeneralDilated, one, 0), [...out.slice(1), ...lhs.slice(1)]);
  if (one.cache) tf.dispose([...one.cache.values()]);
  return jt;
}

export const convGeneralDilated: LinearRule<"conv_general_dilated"> = {
  apply: (eqn, tangents, lead) => {
    if (isVar(eqn.in[0])) {
      const v = tangents[0]!;
      return unfold(convLhs(eqn, fold(v, lead), constAt(eqn, 1)), v.shape.slice(0, lead + 1));
    }
    const v = tangents[1]!;
    const ld = v.shape.slice(0, lead), nL = numel(ld);
    const { d, g, ci, co, k } = dims(eqn);
    if (g === 1) {
      // Fold the basis into output channels: one convolution for every basis vector.
      const f = tf.reshape(v, [nL, ...v.shape.slice(lead)]);
      const fT = tf.reshape(tf.transpose(f, [...range(d + 1, 1), 0, d + 2]), [...f.shape.slice(1, d + 2), nL * co]);
      const y = convLhs(eqn, constAt(eqn, 0), fT);
      const y5 = tf.reshape(y, [...y.shape.slice(0, d + 1), nL, co]);
      return tf.reshape(tf.transpose(y5, [d + 1, ...range(d + 1), d + 2]), [...ld, ...eqn.out.shape]);
    }
    const y = contract2(patchesOf(eqn), L.patches, tf.reshape(v, [nL, k, ci, g, co]), ["L", ...L.filter], [
      "L",
      ...L.out,
    ]);
    return tf.reshape(y, [...ld, ...eqn.out.shape]);
  },
  transpose: (eqn, ct, lead, slot) => {
    const ld = ct.shape.slice(0, lead), ldn = ct.shape.slice(0, lead + 1);
    const { g, ci, co, k, spatial, o, outSpatial } = dims(eqn);
    if (slot === 0) {
      const f = constAt(eqn, 1);
      const c = fold(ct, lead);
      // A forward convolution of the dilated cotangent by the flipped filter when tfjs has one;
      // else tfjs's backprop-input kernel; else im2col.
      const t = transposedConv(f, spec(eqn), g, spatial, outSpatial, (make) => cached(eqn, "flipped-filter", make));
      const viaConv = tfConv(c, t.filter, t.spec, g);
      if (viaConv) return unfold(viaConv, ldn);
      const inShape = [c.shape[0], ...spatial, g * ci];
      const fast = tfConvTransposeInput(c, f, spec(eqn), g, inShape);
      if (fast) return unfold(fast, ldn);
      const n = c.shape[0];
      const cp = contract2(tf.reshape(c, [n, o, g, co]), L.out, tf.reshape(f, [k, ci, g, co]), L.filter, L.patches);
      const p = tf.reshape(cp, [n, ...outSpatial, k, g * ci]);
      return unfold(addPatches(p, spec(eqn), spatial), ldn);
    }
    const c = tf.reshape(ct, [numel(ld), ct.shape[lead], o, g, co]);
    const y = contract2(patchesOf(eqn), L.patches, c, ["L", ...L.out], ["L", ...L.filter]);
    return tf.reshape(y, [...ld, ...operandShape(eqn, 1)]);
  },
  exampleAxis: (eqn, rows, slot) => {
    const last = eqn.out.shape.length - 1;
    if (slot === 0) return rows.out.axis === 0 ? rows.out : null;
    return rows.out.axis === last ? { ...rows.out, axis: operandShape(eqn, 1).length - 1 } : null;
  },
  // The filter with rows on the batch axis: that axis splits into [outer, R, inner], and inner
  // merges with o (both are summed). Other row placements: the masked transpose.
  transposeExample: (eqn, ct, lead, slot, rows) => {
    if (slot !== 1 || rows.out.axis !== 0) return byMask(eqn, ct, lead, slot, rows);
    const ld = ct.shape.slice(0, lead), R = rows.count;
    const { g, ci, co, k, o } = dims(eqn);
    const { outer, inner } = rows.out;
    const pS = tf.reshape(patchesOf(eqn), [outer, R, inner * o, k, g, ci]);
    const cS = tf.reshape(ct, [numel(ld), outer, R, inner * o, g, co]);
    const y = contract2(pS, ["no", "R", "q", "k", "g", "ci"], cS, ["L", "no", "R", "q", "g", "co"], [
      "L",
      "R",
      ...L.filter,
    ]);
    return tf.reshape(y, [...ld, R, ...operandShape(eqn, 1)]);
  },
  // Input: examples pair up, each with the same convolution matrix. Filter: output channels
  // pair up (block-diagonal when grouped: each reads its group's patches).
  structure: (eqn, slot) => {
    if (slot === 0) return structureOf({ constantBlockDiagonal: [[0, 0]] });
    const c = eqn.out.shape.length - 1;
    return eqn.params.featureGroupCount === 1
      ? structureOf({ constantBlockDiagonal: [[c, c]] })
      : structureOf({ blockDiagonal: [[c, c]] });
  },
  jacobian: (eqn, slot) =>
    slot === 0 ? tf.clone(cached(eqn, "jacobian:0", () => inputJacobian(eqn))) : filterJacobian(eqn),
  scratch: (eqn) => {
    const { n, o, k, g, ci } = dims(eqn);
    return n * o * k * g * ci;
  },
  flops: (eqn, basis) => {
    const { ci, k } = dims(eqn);
    return 2 * basis * numel(eqn.out.shape) * k * ci;
  },
};
