// empiricalNngpFn() and empiricalKernelFn(): the NNGP against f(x1)·f(x2)ᵀ written with plain
// tfjs per layout, the NTK part against empiricalNtkFn, shared forward passes counted, errors.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import {
  empiricalKernelFn,
  empiricalNngpFn,
  empiricalNtkFn,
  InvalidOptionError,
  type ParamFn,
  ShapeMismatchError,
} from "../../mod.ts";
import { mlp, type Model, timeDense } from "../ntk/_models.ts";
import { tensorRelError } from "../_ref.ts";
import { NATIVE_IF_PRESENT } from "../_native.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
type Params = Record<string, tf.Tensor>;

interface LayoutCase {
  name: string;
  model: () => Model;
  traceAxes: number[];
  diagonalAxes: number[];
  n2: number | null;
  /** f(x1)·f(x2)ᵀ in this layout, with plain tfjs. */
  oracle: (y1: tf.Tensor, y2: tf.Tensor) => tf.Tensor;
}

const O = 3; // mlp outputs [N, 3]; timeDense outputs [N, T = 4, 2]
const CASES: LayoutCase[] = [
  {
    name: "[N, O], traceAxes [-1] → [N1, N2]",
    model: () => mlp("tanh", { out: O }),
    traceAxes: [-1],
    diagonalAxes: [],
    n2: 5,
    oracle: (y1, y2) => tf.div(tf.matMul(y1, y2, false, true), O),
  },
  {
    name: "[N, O], traceAxes [] → [N1, N2, O, O]",
    model: () => mlp("tanh", { out: O }),
    traceAxes: [],
    diagonalAxes: [],
    n2: 5,
    oracle: (y1, y2) => tf.mul(tf.reshape(y1, [y1.shape[0], 1, O, 1]), tf.reshape(y2, [1, y2.shape[0], 1, O])),
  },
  {
    name: "[N, O], traceAxes [], diagonalAxes [0] → [N, O, O]",
    model: () => mlp("relu", { out: O }),
    traceAxes: [],
    diagonalAxes: [0],
    n2: null,
    oracle: (y1, y2) => tf.mul(tf.reshape(y1, [-1, O, 1]), tf.reshape(y2, [-1, 1, O])),
  },
  {
    name: "[N, T, O], traceAxes [-1], diagonalAxes [0] → [N, T, T]",
    model: timeDense,
    traceAxes: [-1],
    diagonalAxes: [0],
    n2: null,
    oracle: (y1, y2) => tf.div(tf.matMul(y1, y2, false, true), 2),
  },
  {
    name: "[N, T, O], traceAxes [], diagonalAxes [0] → [N, T, T, O, O]",
    model: timeDense,
    traceAxes: [],
    diagonalAxes: [0],
    n2: null,
    oracle: (y1, y2) => tf.mul(tf.reshape(y1, [-1, 4, 1, 2, 1]), tf.reshape(y2, [-1, 1, 4, 1, 2])),
  },
  {
    name: "[N, T, O], traceAxes [-1] → [N1, N2, T, T]",
    model: timeDense,
    traceAxes: [-1],
    diagonalAxes: [],
    n2: 2,
    oracle: (y1, y2) => {
      const [n1, n2] = [y1.shape[0], y2.shape[0]];
      const m = tf.matMul(tf.reshape(y1, [n1 * 4, 2]), tf.reshape(y2, [n2 * 4, 2]), false, true);
      return tf.div(tf.transpose(tf.reshape(m, [n1, 4, n2, 4]), [0, 2, 1, 3]), 2);
    },
  },
];

function oracleFor(c: LayoutCase, f: ParamFn, p: Params, x1: tf.Tensor, x2: tf.Tensor | null): tf.Tensor {
  return tf.tidy(() => {
    const y1 = f(p, x1) as tf.Tensor;
    return c.oracle(y1, x2 ? f(p, x2) as tf.Tensor : y1);
  });
}

for (const backend of ["cpu", ...NATIVE_IF_PRESENT, "wasm"] as const) {
  for (const c of CASES) {
    Deno.test({
      name: `empiricalNngpFn() and empiricalKernelFn() match f(x1)·f(x2)ᵀ for ${c.name} [${backend}]`,
      ...opts,
      fn: async () => {
        await tf.setBackend(backend);
        const m = c.model();
        const p = m.params(), x1 = m.input(3, 1), x2 = c.n2 === null ? null : m.input(c.n2, 2);
        const layout = { traceAxes: c.traceAxes, diagonalAxes: c.diagonalAxes };
        const want = oracleFor(c, m.f, p, x1, x2);
        const before = tf.memory().numTensors;
        const nngp = await empiricalNngpFn(m.f, layout)(x1, x2, p);
        assert.equal(tf.memory().numTensors - before, 1, "empiricalNngpFn: only the kernel stays alive");
        const e1 = await tensorRelError(nngp, want);
        assert.ok(e1 <= 1e-6, `empiricalNngpFn: max error ${e1} × max|oracle|`);

        const both = await empiricalKernelFn(m.f, layout)(x1, x2, p, ["ntk", "nngp"]);
        assert.deepEqual(Object.keys(both).sort(), ["nngp", "ntk"]);
        assert.equal(tf.memory().numTensors - before, 3, "empiricalKernelFn: only the two kernels stay alive");
        const e2 = await tensorRelError(both.nngp, want);
        assert.ok(e2 <= 1e-6, `empiricalKernelFn's NNGP: max error ${e2} × max|oracle|`);
        const ntk = await empiricalNtkFn(m.f, layout)(x1, x2, p);
        const e3 = await tensorRelError(both.ntk, ntk);
        assert.ok(e3 <= 1e-5, `empiricalKernelFn's NTK vs empiricalNtkFn: ${e3}`);
        console.log(`  NNGP ${e1.toExponential(1)}, kernel fn NNGP ${e2.toExponential(1)}, NTK ${e3.toExponential(1)}`);
        tf.dispose([nngp, want, both.ntk, both.nngp, ntk, x1, ...(x2 ? [x2] : []), ...Object.values(p)]);
      },
    });
  }
}

Deno.test({
  name: "empiricalNngpFn() and empiricalKernelFn() match f(x1)·f(x2)ᵀ on webgpu",
  ...opts,
  fn: async () => {
    await tf.setBackend("webgpu");
    const m = mlp("relu", { inputDim: 50, width: 64, out: 8 });
    const p = m.params(), x1 = m.input(12, 1), x2 = m.input(10, 2);
    const want = tf.tidy(() => tf.div(tf.matMul(m.f(p, x1), m.f(p, x2), false, true), 8));
    const before = tf.memory().numTensors;
    const nngp = await empiricalNngpFn(m.f)(x1, x2, p);
    const { ntk, nngp: shared } = await empiricalKernelFn(m.f)(x1, x2, p, ["ntk", "nngp"]);
    assert.equal(tf.memory().numTensors - before, 3);
    const ref = await empiricalNtkFn(m.f)(x1, x2, p);
    assert.ok((await tensorRelError(nngp, want)) <= 1e-5);
    assert.ok((await tensorRelError(shared, want)) <= 1e-5);
    assert.ok((await tensorRelError(ntk, ref)) <= 1e-4);
    tf.dispose([want, nngp, ntk, shared, ref, x1, x2, ...Object.values(p)]);
  },
});

Deno.test({
  name: "empiricalKernelFn() returns only what get asks for",
  ...opts,
  fn: async () => {
    await tf.setBackend("cpu");
    const m = mlp("tanh", { out: O });
    const p = m.params(), x = m.input(4, 1);
    const kf = empiricalKernelFn(m.f, { traceAxes: [] });
    const before = tf.memory().numTensors;
    const a = await kf(x, null, p, "ntk");
    assert.deepEqual(Object.keys(a), ["ntk"]);
    const b = await kf(x, null, p, "nngp");
    assert.deepEqual(Object.keys(b), ["nngp"]);
    const c = await kf(x, null, p, ["nngp"]);
    assert.deepEqual(Object.keys(c), ["nngp"]);
    const d = await kf(x, null, p); // default: both
    assert.deepEqual(Object.keys(d).sort(), ["nngp", "ntk"]);
    assert.equal(tf.memory().numTensors - before, 5);
    assert.ok((await tensorRelError(a.ntk, d.ntk)) <= 1e-6);
    assert.ok((await tensorRelError(b.nngp, d.nngp)) <= 1e-6);
    assert.ok((await tensorRelError(c.nngp, d.nngp)) <= 1e-6);
    assert.deepEqual(d.ntk.shape, [4, 4, O, O]);
    tf.dispose([a.ntk, b.nngp, c.nngp, d.ntk, d.nngp]);
    for (const bad of ["ntkk", [], ["ntk", "nngp", "x"]]) {
      // deno-lint-ignore no-explicit-any
      await assert.rejects(kf(x, null, p, bad as any), InvalidOptionError);
    }
    assert.equal(tf.memory().numTensors, before);
    kf.dispose();
    await assert.rejects(kf(x, null, p, "ntk"), /disposed/);
    tf.dispose([x, ...Object.values(p)]);
  },
});

Deno.test({
  name: "empiricalKernelFn() takes the NNGP from the NTK's traces: no extra call of f",
  ...opts,
  fn: async () => {
    await tf.setBackend("cpu");
    const m = mlp("relu", { out: O });
    let calls = 0;
    const f: ParamFn = (p, x) => (calls++, m.f(p, x));
    const p = m.params(), x1 = m.input(6, 1), x2 = m.input(5, 2);
    const count = async (run: () => Promise<tf.Tensor[]>) => {
      calls = 0;
      tf.dispose(await run());
      return calls;
    };
    for (const x of [x2, null]) {
      const ntkOnly = await count(async () => [await empiricalNtkFn(f)(x1, x, p)]);
      const both = await count(async () => Object.values(await empiricalKernelFn(f)(x1, x, p, ["ntk", "nngp"])));
      assert.equal(
        both,
        ntkOnly,
        `x2 ${x ? "given" : "= x1"}: ${both} calls of f for NTK + NNGP, ${ntkOnly} for the NTK`,
      );
      const nngpOnly = await count(async () => Object.values(await empiricalKernelFn(f)(x1, x, p, "nngp")));
      assert.equal(nngpOnly, x ? 2 : 1, "the NNGP alone: one plain forward pass per side");
    }
    // Tiled into blocks: the NNGP falls back to one more forward pass per side, and stays exact.
    const want = tf.tidy(() => tf.div(tf.matMul(m.f(p, x1), m.f(p, x2), false, true), O));
    const tiled = await empiricalKernelFn(f, { blockSize: 2 })(x1, x2, p, ["ntk", "nngp"]);
    const ref = await empiricalNtkFn(m.f)(x1, x2, p);
    assert.ok((await tensorRelError(tiled.nngp, want)) <= 1e-6);
    assert.ok((await tensorRelError(tiled.ntk, ref)) <= 1e-5);
    tf.dispose([want, tiled.ntk, tiled.nngp, ref, x1, x2, ...Object.values(p)]);
  },
});

Deno.test({
  name: "empiricalNngpFn() concatenates several outputs per row, as the NTK does",
  ...opts,
  fn: async () => {
    await tf.setBackend("cpu");
    const m = mlp("tanh", { out: O });
    const f: ParamFn = (p, x) => {
      const y = m.f(p, x) as tf.Tensor;
      return [y, tf.tanh(tf.matMul(x as tf.Tensor, p.w1))];
    };
    const p = m.params(), x1 = m.input(3, 1), x2 = m.input(2, 2);
    const cat = (x: tf.Tensor) => tf.concat(f(p, x) as tf.Tensor[], 1);
    const want = tf.tidy(() => tf.div(tf.matMul(cat(x1), cat(x2), false, true), O + 8)); // 3 logits and 8 hidden units
    const before = tf.memory().numTensors;
    const nngp = await empiricalNngpFn(f)(x1, x2, p);
    const both = await empiricalKernelFn(f)(x1, x2, p, ["ntk", "nngp"]);
    assert.equal(tf.memory().numTensors - before, 3);
    assert.ok((await tensorRelError(nngp, want)) <= 1e-6);
    assert.ok((await tensorRelError(both.nngp, want)) <= 1e-6);
    tf.dispose([want, nngp, both.ntk, both.nngp, x1, x2, ...Object.values(p)]);
  },
});

Deno.test({
  name: "empiricalNngpFn() rejects bad layouts with named errors and leaks nothing",
  ...opts,
  fn: async () => {
    await tf.setBackend("cpu");
    const m = mlp("tanh");
    const p = m.params(), x1 = m.input(3, 1), x2 = m.input(4, 2);
    const before = tf.memory().numTensors;
    await assert.rejects(empiricalNngpFn(m.f, { traceAxes: [2] })(x1, x2, p), InvalidOptionError);
    await assert.rejects(
      empiricalNngpFn(m.f, { traceAxes: [-1], diagonalAxes: [-1] })(x1, x2, p),
      InvalidOptionError,
    );
    await assert.rejects(
      empiricalNngpFn(m.f, { traceAxes: [], diagonalAxes: [0] })(x1, x2, p),
      (e: unknown) => e instanceof ShapeMismatchError && e.argument === "traceAxes/diagonalAxes",
    );
    await assert.rejects(empiricalKernelFn(m.f, { traceAxes: [0] })(x1, x2, p, "nngp"), ShapeMismatchError);
    assert.equal(tf.memory().numTensors, before);
    tf.dispose([x1, x2, ...Object.values(p)]);
  },
});
