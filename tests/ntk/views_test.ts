// Regression (issue 11, bug 1): a parameter sliced (or unstacked, or split) and then reshaped
// reached structured derivatives as if it were used whole along the dropped axis, and the
// kernel came out 2× (auto chose structured and was as wrong). Every method is compared with
// J1·J2ᵀ from explicit tf.grads Jacobians on cpu (tests/_ref.ts), 1e-4 relative (1e-3 on webgpu).
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import "../../src/core/backend.ts";
import { empiricalNtkFn } from "../../mod.ts";
import { checkAgainstReference } from "./_check.ts";
import type { Model, Params } from "./_models.ts";
import { randn } from "../_data.ts";
import { NATIVE_IF_PRESENT } from "../_native.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const METHODS = ["jacobian", "ntkvp", "structured", "auto"] as const;
const BACKENDS = ["cpu", ...NATIVE_IF_PRESENT, "wasm", "webgpu"];

/** x ⊙ v for a per-row vector v made from the 2×2 parameter A (the reproduction). */
function rowOfA(name: string, v: (a: tf.Tensor) => tf.Tensor): Model {
  return {
    name,
    f: (p, x) => tf.mul(x as tf.Tensor, v(p.A)),
    params: () => ({ A: tf.tensor2d([[1, 2], [3, 4]]) }),
    input: (n, seed) => randn([n, 2], seed),
  };
}

const MODELS: Model[] = [
  rowOfA("slice → reshape", (a) => tf.reshape(tf.slice(a, [0, 0], [1, 2]), [2])),
  rowOfA("second row: slice → reshape", (a) => tf.reshape(tf.slice(a, [1, 0], [1, 2]), [2])),
  rowOfA("unstack → reshape", (a) => tf.reshape(tf.unstack(a)[0], [2])),
  rowOfA("split → reshape", (a) => tf.reshape(tf.split(a, 2)[0], [2])),
  rowOfA("column: slice → reshape", (a) => tf.reshape(tf.slice(a, [0, 1], [2, 1]), [2])),
  // Two uses reading disjoint rows: their cross term is zero.
  {
    name: "two rows of one parameter, each unstacked",
    f: (p, x) =>
      tf.add(tf.mul(x as tf.Tensor, tf.unstack(p.A)[0]), tf.mul(tf.square(x as tf.Tensor), tf.unstack(p.A)[1])),
    params: () => ({ A: randn([2, 3], 11) }),
    input: (n, seed) => randn([n, 3], seed),
  },
  {
    name: "scalar scale: reshape(slice(s, [0], [1]), []) times a dense layer",
    f: (p, x) =>
      tf.mul(tf.matMul(tf.tanh(tf.matMul(x as tf.Tensor, p.w)), p.v), tf.reshape(tf.slice(p.s, [0], [1]), [])),
    params: (): Params => ({ w: randn([3, 8], 21), v: randn([8, 4], 22), s: randn([3], 23) }),
    input: (n, seed) => randn([n, 3], seed),
  },
];

for (const backend of BACKENDS) {
  for (const model of MODELS) {
    Deno.test({
      name: `views regression (issue 11.1): ${model.name}, every method matches J1·J2ᵀ on ${backend}`,
      ...opts,
      fn: async () => {
        await tf.setBackend(backend);
        for (const method of METHODS) {
          for (const traceAxes of [[-1], []]) {
            const info = await checkAgainstReference(model, { method, n1: 3, n2: 4, traceAxes });
            // The parameters stay structured (the fix keeps the index, not a dense fallback).
            if (method === "structured") assert.deepEqual(info.structure?.dense, [], `${model.name}: dense fallback`);
          }
        }
      },
    });
  }
}

Deno.test({
  name: "views regression (issue 11.1): the issue's numbers, x=[[1,2],[3,5]], A=[[1,2],[3,4]], by hand",
  ...opts,
  fn: async () => {
    await tf.setBackend("cpu");
    // K[i,j,a,b] = x_ia x_jb δ_ab (A's first row, read once): [1,0,0,4, 3,0,0,10, 3,0,0,10, 9,0,0,25].
    const want = [1, 0, 0, 4, 3, 0, 0, 10, 3, 0, 0, 10, 9, 0, 0, 25];
    const [model] = MODELS;
    for (const method of METHODS) {
      const [x, p] = [tf.tensor2d([[1, 2], [3, 5]]), model.params()];
      const { kernel } = await empiricalNtkFn(model.f, { method, traceAxes: [] }).run(x, null, p);
      assert.deepEqual(kernel.shape, [2, 2, 2, 2]);
      assert.deepEqual(Array.from(await kernel.data()), want, method);
      tf.dispose([kernel, x, ...Object.values(p)]);
    }
  },
});
