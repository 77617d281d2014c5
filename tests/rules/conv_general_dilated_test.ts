// conv_general_dilated(lhs, rhs; strides, padding, lhsDilation, rhsDilation, featureGroupCount),
// channels-last: out[n, o, co] = Σ_{k, ci} lhs_dilated_padded[n, o·s + k·d, g·Ci + ci]·rhs[k, ci, co],
// g = floor(co / (Co/G)). Checked through tests/rules/_rule_harness.ts (oracle, adjoint identity
// for the var in slot 0 or 1, rows, transposeExample against the masked transpose, flops, leaks;
// lead shapes [3], [2, 3] and [1]), plus the tfjs fast paths against im2col patches.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import "../../src/core/backend.ts";
import type { ConvParams } from "../../src/core/ir.ts";
import { contract2 } from "../../src/core/einsum.ts";
import { addPatches, patches, tfConv, tfConvTransposeInput, type WindowSpec } from "../../rules/_conv.ts";
import { type Arr, at, fromFn, numel, randArr, type RuleCase, ruleTests, toTensor, unravel } from "./_rule_harness.ts";

interface Geometry {
  name: string;
  lhs: number[];
  rhs: number[];
  params: ConvParams;
  webgpu?: boolean;
}

const ones = (d: number) => Array.from({ length: d }, () => 1);

function geometry(name: string, lhs: number[], rhs: number[], p: Partial<ConvParams>, webgpu = false): Geometry {
  const d = lhs.length - 2;
  const params: ConvParams = {
    strides: p.strides ?? ones(d),
    padding: p.padding ?? ones(d).map(() => [0, 0] as [number, number]),
    lhsDilation: p.lhsDilation ?? ones(d),
    rhsDilation: p.rhsDilation ?? ones(d),
    featureGroupCount: p.featureGroupCount ?? 1,
  };
  return { name, lhs, rhs, params, webgpu };
}

function outShape({ lhs, rhs, params: p }: Geometry): number[] {
  const d = lhs.length - 2;
  const spatial = lhs.slice(1, -1).map((s, i) => {
    const padded = (s - 1) * p.lhsDilation[i] + 1 + p.padding[i][0] + p.padding[i][1];
    const eff = (rhs[i] - 1) * p.rhsDilation[i] + 1;
    return Math.floor((padded - eff) / p.strides[i]) + 1;
  });
  return [lhs[0], ...spatial, rhs[d + 1]];
}

/** The definition, with loops. */
function reference(g: Geometry, lhs: Arr, rhs: Arr): Arr {
  const p = g.params, d = g.lhs.length - 2;
  const [ci, co] = [g.rhs[d], g.rhs[d + 1]];
  const perGroup = co / p.featureGroupCount;
  const window = g.rhs.slice(0, d);
  const lhsAt = (n: number, pos: number[], c: number) => {
    const src = pos.map((q, i) => (q - p.padding[i][0]) / p.lhsDilation[i]);
    const inside = src.every((s, i) => Number.isInteger(s) && s >= 0 && s < g.lhs[i + 1]);
    return inside ? at(lhs, [n, ...src, c]) : 0;
  };
  return fromFn(outShape(g), (idx) => {
    const [n, o, c] = [idx[0], idx.slice(1, -1), idx[d + 1]];
    const grp = Math.floor(c / perGroup);
    let s = 0;
    for (let w = 0; w < numel(window); w++) {
      const k = unravel(w, window);
      const pos = o.map((oi, i) => oi * p.strides[i] + k[i] * p.rhsDilation[i]);
      for (let i = 0; i < ci; i++) s += lhsAt(n, pos, grp * ci + i) * at(rhs, [...k, i, c]);
    }
    return s;
  });
}

/** The geometry with the var in `slot` and the other operand a random const. */
function ruleCase(g: Geometry, slot: 0 | 1): RuleCase<"conv_general_dilated"> {
  const d = g.lhs.length - 2;
  const out = outShape(g);
  const constArr = slot === 0 ? randArr(g.rhs, 3) : randArr(g.lhs, 4);
  return {
    name: `${g.name}, var ${slot === 0 ? "lhs" : "rhs"}`,
    in: slot === 0 ? [{ var: g.lhs }, { const: constArr }] : [{ const: constArr }, { var: g.rhs }],
    params: () => g.params,
    out,
    oracle: ([a, b]) => reference(g, a, b),
    // One multiply-add per window entry and input channel of the group, per output entry.
    flops: (basis) => 2 * basis * numel(out) * numel(g.rhs.slice(0, d)) * g.rhs[d],
    webgpu: g.webgpu,
  };
}

const GEOMETRIES: Geometry[] = [
  geometry("1-D, strides 2, asymmetric padding", [2, 7, 3], [3, 3, 4], { strides: [2], padding: [[1, 2]] }),
  geometry("1-D, lhs dilation 2, negative padding", [3, 4, 2], [2, 2, 3], { lhsDilation: [2], padding: [[-1, 2]] }),
  geometry("2-D, strides [2,1], asymmetric padding", [2, 5, 6, 3], [3, 2, 3, 4], {
    strides: [2, 1],
    padding: [[1, 0], [0, 2]],
  }, true),
  geometry("2-D, rhs dilation [2,1]", [2, 6, 5, 2], [2, 3, 2, 3], { rhsDilation: [2, 1], padding: [[1, 1], [0, 1]] }),
  geometry("2-D, rhs dilation and strides 2", [2, 7, 6, 2], [2, 2, 2, 3], { strides: [2, 2], rhsDilation: [2, 1] }),
  geometry("2-D, lhs dilation [2,2] (transposed)", [2, 3, 4, 3], [3, 2, 3, 2], {
    lhsDilation: [2, 2],
    padding: [[2, 1], [1, 2]],
  }, true),
  geometry("2-D, negative padding", [2, 5, 6, 2], [2, 3, 2, 3], { padding: [[-1, 1], [1, -1]] }),
  geometry("2-D depthwise (G = C, multiplier 1)", [2, 5, 4, 3], [2, 2, 1, 3], {
    featureGroupCount: 3,
    padding: [[1, 0], [0, 1]],
  }, true),
  geometry("2-D depthwise (G = C, multiplier 2), strides 2", [2, 6, 5, 3], [3, 2, 1, 6], {
    featureGroupCount: 3,
    strides: [2, 2],
  }),
  geometry(
    "2-D, G = 2 of C = 4",
    [2, 5, 4, 4],
    [2, 3, 2, 6],
    { featureGroupCount: 2, padding: [[0, 1], [1, 1]] },
    true,
  ),
  geometry("3-D, strides [1,2,1], padding", [2, 4, 3, 5, 2], [2, 2, 3, 2, 3], {
    strides: [1, 2, 1],
    padding: [[0, 1], [1, 0], [1, 1]],
  }, true),
  geometry("3-D, G = 2, rhs dilation", [2, 3, 4, 3, 4], [2, 2, 2, 2, 4], {
    featureGroupCount: 2,
    rhsDilation: [1, 2, 1],
  }),
  geometry("3-D, lhs dilation [1,2,2]", [2, 2, 3, 2, 2], [2, 2, 2, 2, 3], {
    lhsDilation: [1, 2, 2],
    padding: [[1, 1], [1, 0], [0, 1]],
  }),
];

ruleTests("conv_general_dilated", GEOMETRIES.flatMap((g) => [ruleCase(g, 0), ruleCase(g, 1)]));

// ---- tfjs fast paths against im2col patches -----------------------------------------------

const specOf = (g: Geometry): WindowSpec => ({ window: g.rhs.slice(0, g.lhs.length - 2), ...g.params });

/** The convolution by patches and one contraction, as the rule's general path. */
function byPatches(g: Geometry, x: tf.Tensor, f: tf.Tensor): tf.Tensor {
  const d = g.lhs.length - 2, G = g.params.featureGroupCount;
  const [ci, co] = [g.rhs[d], g.rhs[d + 1] / G];
  const p = patches(x, specOf(g));
  const k = p.shape[d + 1];
  const y = contract2(
    tf.reshape(p, [g.lhs[0], -1, k, G, ci]),
    ["n", "o", "k", "g", "ci"],
    tf.reshape(f, [k, ci, G, co]),
    ["k", "ci", "g", "co"],
    ["n", "o", "g", "co"],
  );
  return tf.reshape(y, outShape(g));
}

/** Its transpose w.r.t. the lhs, by patches. */
function transposeByPatches(g: Geometry, ct: tf.Tensor, f: tf.Tensor): tf.Tensor {
  const d = g.lhs.length - 2, G = g.params.featureGroupCount;
  const [ci, co] = [g.rhs[d], g.rhs[d + 1] / G];
  const k = numel(g.rhs.slice(0, d));
  const out = outShape(g);
  const cp = contract2(
    tf.reshape(ct, [out[0], -1, G, co]),
    ["n", "o", "g", "co"],
    tf.reshape(f, [k, ci, G, co]),
    ["k", "ci", "g", "co"],
    ["n", "o", "k", "g", "ci"],
  );
  return addPatches(tf.reshape(cp, [...out.slice(0, -1), k, G * ci]), specOf(g), g.lhs.slice(1, -1));
}

/** `fn` in a tidy that keeps its result, which may be null. */
function tidyOrNull(fn: () => tf.Tensor | null): tf.Tensor | null {
  const kept: tf.Tensor[] = [];
  tf.tidy(() => {
    const t = fn();
    if (t) kept.push(tf.keep(t));
  });
  return kept[0] ?? null;
}

async function maxDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  assert.deepEqual(a.shape, b.shape);
  const [x, y] = [await a.data(), await b.data()];
  let m = 0, s = 0;
  for (let i = 0; i < x.length; i++) {
    m = Math.max(m, Math.abs(x[i] - y[i]));
    s = Math.max(s, Math.abs(y[i]));
  }
  return m / Math.max(s, 1e-30);
}

for (const backend of ["cpu", "wasm"]) {
  Deno.test({
    name: `conv_general_dilated's tfjs fast paths equal im2col patches on ${backend}`,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      assert.ok(await tf.setBackend(backend));
      const before = tf.memory().numTensors;
      let fastConv = 0, fastTranspose = 0;
      for (const g of GEOMETRIES) {
        const [x, f, ct] = [
          toTensor(randArr(g.lhs, 1)),
          toTensor(randArr(g.rhs, 2)),
          toTensor(randArr(outShape(g), 5)),
        ];
        const fast = tidyOrNull(() => tfConv(x, f, specOf(g), g.params.featureGroupCount));
        if (fast) {
          fastConv++;
          const slow = tf.tidy(() => byPatches(g, x, f));
          const e = await maxDiff(fast, slow);
          assert.ok(e <= 1e-5, `${g.name} on ${backend}: tfConv differs from patches: rel error ${e}`);
          tf.dispose(slow);
        }
        const fastT = tidyOrNull(() => tfConvTransposeInput(ct, f, specOf(g), g.params.featureGroupCount, g.lhs));
        if (fastT) {
          fastTranspose++;
          const slow = tf.tidy(() => transposeByPatches(g, ct, f));
          const e = await maxDiff(fastT, slow);
          assert.ok(e <= 1e-5, `${g.name} on ${backend}: tfConvTransposeInput differs from patches: rel error ${e}`);
          tf.dispose(slow);
        }
        tf.dispose([x, f, ct, fast ?? [], fastT ?? []]);
      }
      assert.ok(fastConv >= 5 && fastTranspose >= 2, `too few fast paths taken (${fastConv}, ${fastTranspose})`);
      assert.equal(tf.memory().numTensors, before, "tensors leaked");
    },
  });
}
