// Regression tests for issue 11, bugs 2, 4 and 5, on cpu, wasm and webgpu (Mesa's adapter in CI):
//  2. f returning a parameter or its input unchanged must not dispose (or change) the caller's tensor;
//  4. zero-size inputs, parameters or outputs give the correctly shaped (empty) kernel;
//  5. f whose rows are not independent examples (x + b with b [N, D]) is computed whole.
// Every kernel is checked against the explicit J1·J2ᵀ from tf.grads on cpu (tests/_ref.ts).
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import {
  empiricalKernelFn,
  empiricalNngpFn,
  empiricalNtkFn,
  empiricalNtkParallelFn,
  empiricalNtkVpFn,
  fromLayersModel,
  linearize,
  MemoryBudgetError,
  ntkSpectrum,
  type ParamFn,
  predictGradientDescentMse,
} from "../../mod.ts";
import { onCpu, referenceNtk, relError } from "../_ref.ts";
import { randn } from "../_data.ts";
import { mlp } from "./_models.ts";
import { NATIVE_IF_PRESENT } from "../_native.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const BACKENDS = ["cpu", ...NATIVE_IF_PRESENT, "wasm", "webgpu"] as const;
const METHODS = ["jacobian", "ntkvp", "structured", "auto"] as const;
type Params = Record<string, tf.Tensor>;
const tolOf = () => (tf.getBackend() === "webgpu" ? 1e-3 : 1e-4);

/** The caller's tensors, by name, with their values now: `check()` asserts them alive and unchanged. */
async function guard(tensors: Record<string, tf.Tensor | null>) {
  const live = Object.entries(tensors).filter((e): e is [string, tf.Tensor] => e[1] !== null);
  const before = await Promise.all(live.map(([, t]) => t.data()));
  return {
    async check(what: string) {
      for (const [i, [name, t]] of live.entries()) {
        assert.equal(t.isDisposed, false, `${what}: the caller's ${name} was disposed`);
        assert.deepEqual(await t.data(), before[i], `${what}: the caller's ${name} was changed`);
      }
    },
  };
}

/** The explicit-Jacobian kernel of f on cpu, from copies of the arguments' values. */
async function oracle(
  f: ParamFn,
  p: Params,
  x1: tf.Tensor,
  x2: tf.Tensor | null,
  traceAxes: number[],
  diagonalAxes: number[] = [],
) {
  const vals = {
    p: Object.fromEntries(await Promise.all(Object.entries(p).map(async ([n, t]) => [n, [await t.data(), t.shape]]))),
    x1: [await x1.data(), x1.shape],
    x2: x2 ? [await x2.data(), x2.shape] : null,
  } as const;
  return await onCpu(() => {
    // deno-lint-ignore no-explicit-any
    const mk = ([d, s]: any) => tf.tensor(d, s);
    const pc = Object.fromEntries(Object.entries(vals.p).map(([n, v]) => [n, mk(v)]));
    const [a, b] = [mk(vals.x1), vals.x2 ? mk(vals.x2) : null];
    const r = referenceNtk(f, pc, a, b, traceAxes, diagonalAxes);
    tf.dispose([...Object.values(pc), a, ...(b ? [b] : [])]);
    return r;
  });
}

async function assertKernel(k: tf.Tensor, ref: { data: Float64Array; shape: number[] }, what: string) {
  assert.deepEqual(k.shape, ref.shape, `${what}: shape`);
  const err = relError(await k.data(), ref.data);
  assert.ok(err <= tolOf(), `${what}: rel error ${err}`);
}

for (const backend of BACKENDS) {
  Deno.test({
    name:
      `issue 11 bug 2: f returning a parameter or its input leaves the caller's tensors alive and unchanged [${backend}]`,
    ...opts,
    fn: async () => {
      await tf.setBackend(backend);
      const constant = randn([3, 2], 11);
      const kept = await guard({ constant });
      const cases: [string, ParamFn][] = [
        ["(p, x) => p.w", (p) => p.w],
        ["(p, x) => x", (_p, x) => x as tf.Tensor],
        // Returned and used elsewhere too: this threw a TypeError on a disposed tensor.
        ["(p, x) => p.w, also used", (p, x) => (tf.mul(x as tf.Tensor, p.w), p.w)],
        ["(p, x) => [p.w, x * w]", (p, x) => [p.w, tf.mul(x as tf.Tensor, p.w)]],
        // A constant f closes over: the caller's too.
        ["(p, x) => c", () => constant],
      ];
      for (const [name, f] of cases) {
        for (const method of METHODS) {
          const p = { w: randn([3, 2], 1) }, x1 = randn([3, 2], 2), x2 = randn([3, 2], 3);
          const g = await guard({ "p.w": p.w, x1, x2 });
          const ntk = empiricalNtkFn(f, { method, traceAxes: [] });
          const before = tf.memory().numTensors;
          for (const b of [x2, null]) {
            const { kernel } = await ntk.run(x1, b, p);
            // (tf.grads refuses outputs that are a parameter itself or do not depend on one: the
            // oracle adds 0·Σw, which changes neither the values nor the Jacobian.)
            const viaOp: ParamFn = (q, x) => [f(q, x)].flat().map((t) => tf.add(t, tf.mul(0, tf.sum(q.w))));
            const ref = await oracle(viaOp, p, x1, b, []);
            await assertKernel(kernel, ref, `${name}, ${method}, x2 ${b ? "given" : "null"}`);
            kernel.dispose();
          }
          await ntk.plan(x1, x2, p);
          assert.equal(tf.memory().numTensors, before, `${name}, ${method}: no tensor leaks`);
          await g.check(`${name}, empiricalNtkFn ${method}`);
          tf.dispose([p.w, x1, x2]);
        }
        const p = { w: randn([3, 2], 1) }, x1 = randn([3, 2], 2), x2 = randn([3, 2], 3);
        const v = randn(name.startsWith("(p, x) => [") ? [3, 4] : [3, 2], 4);
        const g = await guard({ "p.w": p.w, x1, x2, v });
        const before = tf.memory().numTensors;
        tf.dispose(await empiricalNtkVpFn(f)(x1, x2, p, v));
        tf.dispose(await empiricalNngpFn(f)(x1, x2, p));
        tf.dispose(await empiricalNngpFn(f)(x1, null, p));
        for (const get of ["ntk", "nngp", ["ntk", "nngp"]] as const) {
          const kernels = await empiricalKernelFn(f, { traceAxes: [] })(x1, x2, p, get);
          tf.dispose(Object.values(kernels));
          tf.dispose(Object.values(await empiricalKernelFn(f)(x1, null, p, get)));
        }
        const fLin = linearize(f, p);
        tf.dispose(fLin(p, x1));
        fLin.dispose();
        assert.equal(tf.memory().numTensors, before, `${name}: no tensor leaks`);
        await g.check(`${name}, the toolkit`);
        tf.dispose([p.w, x1, x2, v]);
      }
      await kept.check("a constant f returns");
      constant.dispose();
    },
  });
}

Deno.test({
  name: "issue 11 bug 2: spectrum, predict, a layers model and workers leave the caller's tensors alive and unchanged",
  ...opts,
  fn: async () => {
    await tf.setBackend("cpu");
    const m = mlp("tanh");
    const p = m.params(), x1 = m.input(5, 1), x2 = m.input(3, 2);
    const y = randn([5, (m.f(p, x1) as tf.Tensor).shape[1]!], 7);
    const k = await empiricalNtkFn(m.f)(x1, null, p), kTest = await empiricalNtkFn(m.f)(x2, x1, p);
    const f0 = m.f(p, x1) as tf.Tensor, f1 = m.f(p, x2) as tf.Tensor;
    const g = await guard({ ...p, x1, x2, y, k, kTest, f0, f1 });
    (await ntkSpectrum(k)).eigenvalues;
    const predict = await predictGradientDescentMse(k, y, { diagReg: 1e-3 });
    const r = await predict([0, 1, Infinity], f0, f1, kTest);
    tf.dispose([r.train, r.test!]);
    const par = empiricalNtkParallelFn({ module: new URL("./_fns.ts", import.meta.url), export: "tanhMlp" }, {
      workers: 2,
      method: "jacobian",
    });
    try {
      tf.dispose(await par(x1, x2, p));
    } finally {
      par.dispose();
    }
    await g.check("spectrum, predict, parallel");
    // A layers model: its own weights are the parameters, the input goes through unchanged.
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3], useBias: false })] });
    const wrapped = fromLayersModel(model);
    const xs = randn([4, 3], 8);
    const gl = await guard({ ...wrapped.params, xs });
    tf.dispose(await empiricalNtkFn(wrapped.f, { traceAxes: [] })(xs, null, wrapped.params));
    tf.dispose(await empiricalNngpFn(wrapped.f)(xs, null, wrapped.params));
    tf.dispose(wrapped.f(wrapped.params, xs));
    await gl.check("fromLayersModel");
    assert.equal(model.predict(xs) instanceof tf.Tensor, true, "the model still runs");
    tf.dispose([...Object.values(p), x1, x2, y, k, kTest, f0, f1, xs]);
    model.dispose();
  },
});

for (const backend of BACKENDS) {
  Deno.test({
    name: `issue 11 bug 4: zero-size inputs, parameters and outputs give the correctly shaped kernel [${backend}]`,
    ...opts,
    fn: async () => {
      await tf.setBackend(backend);
      const dense: ParamFn = (p, x) => tf.matMul(x as tf.Tensor, p.w);
      const w = randn([3, 2], 1), w0 = randn([3, 0], 1), x = randn([2, 3], 2), none = tf.zeros([0, 3]);
      // [x1, x2, params, traceAxes, expected shape, every entry NaN (a mean over nothing)?]
      const cases: [string, tf.Tensor, tf.Tensor | null, Params, number[], number[], boolean][] = [
        ["N1 = 0", none, x, { w }, [-1], [0, 2], false],
        ["N1 = 0, full", none, x, { w }, [], [0, 2, 2, 2], false],
        ["N2 = 0", x, none, { w }, [], [2, 0, 2, 2], false],
        ["N1 = N2 = 0", none, null, { w }, [-1], [0, 0], false],
        ["a [3, 0] weight, full", x, null, { w: w0 }, [], [2, 2, 0, 0], false],
        ["a [3, 0] weight, traced (0/0)", x, null, { w: w0 }, [-1], [2, 2], true],
        ["examples traced, N = 0 (0/0)", none, null, { w }, [0, 1], [], true],
      ];
      for (const method of METHODS) {
        for (const [what, x1, x2, p, traceAxes, shape, nan] of cases) {
          const g = await guard({ x1, x2, ...p });
          const before = tf.memory().numTensors;
          const ntk = empiricalNtkFn(dense, { method, traceAxes });
          const { kernel, info } = await ntk.run(x1, x2, p);
          assert.deepEqual(kernel.shape, shape, `${what} (${method})`);
          const data = await kernel.data();
          assert.ok(data.every((v) => (nan ? Number.isNaN(v) : v === 0)), `${what} (${method}): ${data}`);
          assert.equal(info.blocks.count, 0, `${what}: nothing computed`);
          assert.equal((await ntk.plan(x1, x2, p)).blocks.count, 0);
          kernel.dispose();
          assert.equal(tf.memory().numTensors, before, `${what} (${method}): no leaks`);
          await g.check(what);
        }
      }
      // A zero-size parameter beside a real one contributes nothing: the kernel of w alone.
      // (Concatenated, not summed: tfjs's webgpu cannot reduce an empty axis, wasm gives garbage.)
      const mixed: ParamFn = (p, x) => tf.concat([tf.matMul(x as tf.Tensor, p.w), tf.matMul(x as tf.Tensor, p.z)], 1);
      const x2 = randn([3, 3], 3);
      const ref = await oracle((p, xx) => mixed({ ...p, z: w0 }, xx), { w }, x, x2, []);
      for (const method of METHODS) {
        const k = await empiricalNtkFn(mixed, { method, traceAxes: [] })(x, x2, { w, z: w0 });
        await assertKernel(k, ref, `zero-size z beside w (${method})`);
        k.dispose();
      }
      // The other kernel functions.
      const nngp = empiricalNngpFn(dense, { traceAxes: [] });
      const kernelFn = empiricalKernelFn(dense, { traceAxes: [] });
      for (
        const [what, x1, x2, p, shape] of [
          ["N1 = 0", none, x, { w }, [0, 2, 2, 2]],
          ["N2 = 0", x, none, { w }, [2, 0, 2, 2]],
          ["zero outputs", x, null, { w: w0 }, [2, 2, 0, 0]],
        ] as [string, tf.Tensor, tf.Tensor | null, Params, number[]][]
      ) {
        const k = await nngp(x1, x2, p);
        assert.deepEqual(k.shape, shape, `nngp ${what}`);
        const both = await kernelFn(x1, x2, p);
        assert.deepEqual(both.ntk.shape, shape, `kernelFn ntk ${what}`);
        assert.deepEqual(both.nngp.shape, shape, `kernelFn nngp ${what}`);
        tf.dispose([k, both.ntk, both.nngp]);
      }
      // NTK-vector products: v shaped like f(x2), the result like f(x1).
      const vp = empiricalNtkVpFn(dense);
      for (
        const [what, x1, x2, p, v, shape] of [
          ["N1 = 0", none, x, { w }, tf.ones([2, 2]), [0, 2]],
          ["N2 = 0", x, none, { w }, tf.zeros([0, 2]), [2, 2]],
          ["zero outputs", x, null, { w: w0 }, tf.zeros([2, 0]), [2, 0]],
          ["zero-size parameter only", x, null, { w: w0, u: tf.zeros([0]) }, tf.zeros([2, 0]), [2, 0]],
        ] as [string, tf.Tensor, tf.Tensor | null, Params, tf.Tensor, number[]][]
      ) {
        const r = await vp(x1, x2, p, v);
        assert.deepEqual(r.shape, shape, `ntkVp ${what}`);
        assert.ok((await r.data()).every((e) => e === 0), `ntkVp ${what}: zeros`);
        tf.dispose([r, v]);
      }
      tf.dispose([w, w0, x, none, x2]);
    },
  });
}

for (const backend of BACKENDS) {
  Deno.test({
    name: `issue 11 bug 5: f whose rows are not independent examples is computed on all of x1 and x2 [${backend}]`,
    ...opts,
    fn: async () => {
      await tf.setBackend(backend);
      const cases: [string, ParamFn, Params, tf.Tensor, tf.Tensor][] = [
        [
          "x + b, b [3, 3]",
          (p, x) => tf.add(x as tf.Tensor, p.b),
          { b: randn([3, 3], 1) },
          randn([3, 3], 2),
          randn(
            [3, 3],
            3,
          ),
        ],
        [
          "A·tanh(x·W), A [4, 3]: output rows are not x's rows",
          (p, x) => tf.matMul(p.A, tf.tanh(tf.matMul(x as tf.Tensor, p.W))),
          { A: randn([4, 3], 4), W: randn([2, 2], 5) },
          randn([3, 2], 6),
          randn([3, 2], 7),
        ],
        [
          "a fixed 3-row mix of x: 2 rows trace but do not follow",
          (p, x) => tf.matMul(tf.ones([3, 1]), tf.matMul(tf.slice(x as tf.Tensor, [0, 0], [1, 2]), p.W)),
          { W: randn([2, 2], 5) },
          randn([3, 2], 6),
          randn([3, 2], 7),
        ],
      ];
      for (const [what, f, p, x1, x2] of cases) {
        const g = await guard({ ...p, x1, x2 });
        for (const method of METHODS) {
          for (const [b, traceAxes] of [[x2, []], [null, []], [x2, [-1]]] as [tf.Tensor | null, number[]][]) {
            const before = tf.memory().numTensors;
            const ntk = empiricalNtkFn(f, { method, traceAxes, blockSize: 1 });
            const { kernel, info } = await ntk.run(x1, b, p);
            await assertKernel(kernel, await oracle(f, p, x1, b, traceAxes), `${what} (${method}, [${traceAxes}])`);
            assert.equal(info.exampleAxis.independentRows, false, what);
            assert.equal(info.blocks.count, 1, `${what}: one block, never row slices`);
            assert.equal((await ntk.plan(x1, b, p)).splittable, false);
            kernel.dispose();
            assert.equal(tf.memory().numTensors, before, `${what}: no leaks`);
          }
        }
        // Only when all of x1 and x2 cannot fit: MemoryBudgetError.
        await assert.rejects(empiricalNtkFn(f, { method: "jacobian", memoryBudget: 16 })(x1, x2, p), MemoryBudgetError);
        // The NNGP and NTK-vector products take such f too.
        const nngp = await empiricalNngpFn(f, { traceAxes: [] })(x1, x2, p);
        const y1 = f(p, x1) as tf.Tensor, y2 = f(p, x2) as tf.Tensor;
        // (Outer product and contraction by matMul: wasm has no Einsum kernel.)
        const [[i1, a1], [i2, a2]] = [y1.shape, y2.shape];
        const want = tf.tidy(() =>
          tf.transpose(tf.reshape(tf.matMul(tf.reshape(y1, [-1, 1]), tf.reshape(y2, [1, -1])), [i1, a1, i2, a2]), [
            0,
            2,
            1,
            3,
          ])
        );
        assert.ok(relError(await nngp.data(), await want.data()) <= tolOf(), `${what}: nngp`);
        const v = randn(y2.shape, 9);
        const vp = await empiricalNtkVpFn(f)(x1, x2, p, v);
        const full = await empiricalNtkFn(f, { method: "jacobian", traceAxes: [] })(x1, x2, p);
        const byKernel = tf.tidy(() =>
          tf.reshape(tf.matMul(tf.reshape(tf.transpose(full, [0, 2, 1, 3]), [i1 * a1, -1]), tf.reshape(v, [-1, 1])), [
            i1,
            a1,
          ])
        );
        assert.ok(relError(await vp.data(), await byKernel.data()) <= tolOf(), `${what}: ntkVp`);
        tf.dispose([nngp, y1, y2, want, v, vp, full, byKernel]);
        await g.check(what);
        tf.dispose([...Object.values(p), x1, x2]);
      }
    },
  });
}
