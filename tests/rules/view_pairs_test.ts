/**
 * Views of a parameter, composed in pairs: for every ordered pair (A, B) of the operations below
 * — every view primitive the tracer emits (slice, reshape, broadcast_in_dim, transpose, rev, neg,
 * mul by a const or a scalar, copy, convert_element_type; it emits no squeeze or div) and the
 * non-views next to them (tiling, pad, gather, concatenate, unstack, split, merging reshape;
 * strided slices have no tf.grads) — the parameter W is used as B(A(W)) against the data, and
 * every method's kernel is compared with J1·J2ᵀ from explicit tf.grads Jacobians (tests/_ref.ts)
 * on cpu, to 1e-4 relative. Each pair also runs with a second use of W through A alone, so the
 * cross terms between two views of one parameter (overlapping or disjoint parts) are checked too.
 *
 * Structured derivatives follow chains of views back to the parameter (src/ntk/_uses.ts): this
 * is the check that every way two views compose keeps the parameter index each use reads.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import "../../src/core/backend.ts";
import { empiricalNtkFn } from "../../mod.ts";
import { traceLinear } from "../../adapters/trace.ts";
import { disposeProgram } from "../../src/core/linear_program.ts";
import { RULES } from "../../rules/mod.ts";
import { awayFromZero, randn } from "../_data.ts";
import { referenceNtk, relError } from "../_ref.ts";

interface Op {
  name: string;
  apply: (t: tf.Tensor) => tf.Tensor;
}

/** The first axis longer than 1 (ops that cut an axis cut this one). */
const longAxis = (s: number[]) => Math.max(0, s.findIndex((n) => n > 1));
const along = (s: number[], a: number, v: number, rest: (n: number) => number) =>
  s.map((n, i) => (i === a ? v : rest(n)));

const OPS: Op[] = [
  {
    name: "slice",
    apply: (t) => {
      const a = longAxis(t.shape);
      return tf.slice(t, along(t.shape, a, 1, () => 0), along(t.shape, a, t.shape[a] - 1, (n) => n));
    },
  },
  {
    name: "slice to one",
    apply: (t) => {
      const a = longAxis(t.shape);
      return tf.slice(t, along(t.shape, a, t.shape[a] - 1, () => 0), along(t.shape, a, 1, (n) => n));
    },
  },
  { name: "reshape inserting 1", apply: (t) => tf.reshape(t, [t.shape[0], 1, ...t.shape.slice(1)]) },
  {
    name: "reshape dropping 1s",
    apply: (
      t,
    ) => (t.shape.includes(1) ? tf.reshape(t, t.shape.filter((n) => n !== 1)) : tf.reshape(t, [...t.shape, 1])),
  },
  { name: "squeeze", apply: (t) => (t.shape.includes(1) ? tf.squeeze(t) : tf.expandDims(t, 0)) },
  {
    name: "reshape merging",
    apply: (t) => tf.reshape(t, t.rank >= 2 ? [t.shape[0] * t.shape[1]!, ...t.shape.slice(2)] : [1, t.shape[0]]),
  },
  { name: "transpose", apply: (t) => tf.transpose(t) },
  { name: "rev", apply: (t) => tf.reverse(t, [longAxis(t.shape)]) },
  { name: "neg", apply: (t) => tf.neg(t) },
  { name: "scale", apply: (t) => tf.mul(t, tf.scalar(2.5)) },
  { name: "const factor", apply: (t) => tf.mul(t, randn(t.shape, 7)) },
  { name: "const divisor", apply: (t) => tf.div(t, awayFromZero(t.shape, 0.5, 2, 8)) },
  { name: "broadcast inserting 1", apply: (t) => tf.broadcastTo(t, [1, ...t.shape]) },
  // (a product with ones, not tf.tile or tf.broadcastTo: tfjs has no Tile gradient above rank 4)
  { name: "tile", apply: (t) => tf.mul(tf.expandDims(t, 0), tf.ones([2, ...t.shape])) },
  { name: "pad", apply: (t) => tf.pad(t, t.shape.map((_, i) => (i === 0 ? [1, 0] : [0, 1]))) },
  {
    name: "gather",
    apply: (t) => {
      const a = longAxis(t.shape), n = t.shape[a];
      return tf.gather(t, tf.tensor1d([n - 1, 0, n - 1], "int32"), a);
    },
  },
  { name: "concat with const", apply: (t) => tf.concat([t, randn(t.shape, 9)], 0) },
  { name: "unstack", apply: (t) => tf.unstack(t, longAxis(t.shape))[t.shape[longAxis(t.shape)] - 1] },
  {
    name: "split",
    apply: (t) => {
      const a = longAxis(t.shape);
      return tf.split(t, [1, t.shape[a] - 1], a)[0];
    },
  },
  { name: "copy", apply: (t) => tf.clone(t) },
  { name: "cast", apply: (t) => tf.cast(t, "float32") },
];

const W_SHAPE = [3, 2, 2];
const N1 = 2, N2 = 1;

/** W used as B(A(W)) (and, with `both`, also as A(W)) against the data, flattened per row. */
function pairFn(a: Op, b: Op, both: boolean) {
  return (p: Record<string, tf.Tensor>, x: tf.Tensor | tf.Tensor[]) => {
    const [x0, x1] = x as tf.Tensor[];
    const inner = a.apply(p.W);
    const u = b.apply(inner);
    const n = x0.shape[0];
    const use = (v: tf.Tensor, xs: tf.Tensor) =>
      tf.reshape(tf.mul(tf.slice(xs, [0], [n, v.size]).reshape([n, ...v.shape]), v), [n, -1]);
    return both ? tf.concat([use(u, x0), use(inner, x1)], 1) : use(u, x0);
  };
}

/** Inputs wide enough for any op's output (rows of 256 values, sliced to size in f). */
const inputs = (n: number, seed: number) => [randn([n, 256], seed), randn([n, 256], seed + 10)];

const METHODS = ["jacobian", "ntkvp", "structured"] as const;

Deno.test({
  name: "view pairs: the operations cover every view primitive of the rule table",
  fn: async () => {
    await tf.setBackend("cpu");
    const seen = new Set<string>();
    const w = randn(W_SHAPE, 1);
    for (const op of OPS) {
      const lin = traceLinear((p, x) => tf.mul(op.apply(p.W), x as tf.Tensor), { W: w }, tf.scalar(1));
      for (const e of lin.program.eqns) seen.add(e.prim);
      disposeProgram(lin.program);
      lin.output.dispose();
    }
    w.dispose();
    // The tracer emits no squeeze (tfjs squeezes by Reshape) and no div (RealDiv by a const
    // linearizes to a mul by 1/b), so no f reaches those two views.
    const unreachable = ["squeeze", "div"];
    const views = Object.entries(RULES).filter(([n, r]) => r.view && !unreachable.includes(n)).map(([n]) => n);
    assert.deepEqual(views.filter((v) => !seen.has(v)), [], "view primitives no operation emits");
  },
});

for (const a of OPS) {
  Deno.test({
    name: `view pairs: W through ${a.name} then each operation, every method matches J1·J2ᵀ on cpu`,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      await tf.setBackend("cpu");
      const fails: string[] = [];
      for (const b of OPS) {
        for (const both of [false, true]) {
          const f = pairFn(a, b, both);
          const label = `${a.name} → ${b.name}${both ? " (and a use of W through " + a.name + ")" : ""}`;
          const p = { W: randn(W_SHAPE, 1) };
          const [x1, x2] = [inputs(N1, 2), inputs(N2, 3)];
          const ref = referenceNtk(f, p, x1, x2, []);
          for (const method of METHODS) {
            const before = tf.memory().numTensors;
            const { kernel, info } = await empiricalNtkFn(f, { method, traceAxes: [] }).run(x1, x2, p);
            assert.equal(tf.memory().numTensors - before, 1, `${label} (${method}): only the kernel stays`);
            const err = kernel.shape.join() === ref.shape.join() ? relError(await kernel.data(), ref.data) : Infinity;
            kernel.dispose();
            const how = method === "structured" ? ` [structured: ${info.structure?.structured}]` : "";
            if (!(err <= 1e-4)) fails.push(`${label} (${method})${how}: rel error ${err}`);
          }
          tf.dispose([p.W, ...x1, ...x2]);
        }
      }
      assert.deepEqual(fails, []);
    },
  });
}
