// Issue 10.3: the library API checks its inputs like the CLI. A table of bad calls across the
// public functions: each gives the named error, its message names the argument (and, for
// shapes, the user's own shape, never a probe's), and nothing of the caller's is disposed,
// changed or leaked. Plus: an empty batch gives the correctly shaped empty kernel.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import {
  DTypeError,
  empiricalKernelFn,
  empiricalNngpFn,
  empiricalNtkFn,
  empiricalNtkParallelFn,
  empiricalNtkVpFn,
  fromLayersModel,
  InvalidOptionError,
  linearize,
  NonFiniteInputError,
  ntkSpectrum,
  type ParamFn,
  predictGradientDescentMse,
  ShapeMismatchError,
} from "../../mod.ts";
import { randn } from "../_data.ts";
import { NATIVE_IF_PRESENT } from "../_native.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
type Params = Record<string, tf.Tensor>;
// deno-lint-ignore no-explicit-any
type Any = any;

const f: ParamFn = (p, x) => tf.add(tf.matMul(tf.tanh(tf.matMul(x as tf.Tensor, p.w1)), p.w2), p.b);
/** Two inputs: x[0] [N, 3] and x[1] [N, 2]. */
const f2: ParamFn = (p, x) => {
  const [a, b] = x as tf.Tensor[];
  return tf.add(tf.matMul(a, p.w1), tf.matMul(b, p.v));
};

interface Case {
  name: string;
  call: () => unknown;
  error: new (...a: Any[]) => Error;
  /** Text the message must contain: the argument's name, and the user's shape where it applies. */
  names: string[];
}

for (const backend of ["cpu", ...NATIVE_IF_PRESENT, "wasm", "webgpu"]) {
  Deno.test({
    name:
      `issue 10.3: bad calls to the public API give named errors naming the argument, and touch nothing [${backend}]`,
    ...opts,
    fn: async () => {
      await tf.setBackend(backend);
      const p: Params = { w1: randn([3, 4], 1), w2: randn([4, 2], 2), b: randn([2], 3) };
      const x1 = randn([5, 3], 4),
        x2 = randn([4, 3], 5),
        wide = randn([5, 7], 6),
        wide4 = randn([4, 7], 13),
        nan = tf.tensor2d([[1, NaN, 2]]);
      const ints = tf.tensor2d([[1, 2, 3]], [1, 3], "int32"), bools = tf.tensor2d([[1, 0, 1]], [1, 3], "bool");
      const scalar = tf.scalar(1),
        pBad = { ...p, w2: tf.fill([4, 2], Infinity) },
        pInt = { ...p, w1: tf.ones([3, 4], "int32") };
      const { b: _b, ...pNoB } = p;
      const two = [randn([5, 3], 7), randn([4, 2], 8)], pTwo = { w1: p.w1, v: randn([2, 4], 9) };
      const v = randn([4, 2], 10), vWrong = randn([4, 3], 11);
      const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3], name: "d" })] });
      const layers = fromLayersModel(model);
      const [kernelName, biasName] = Object.keys(layers.params);
      const lp = layers.params;
      const { [biasName]: _bias, ...lpNoBias } = lp;
      const lpExtra = { ...lp, extra: tf.ones([1]) }, lpWrong = { ...lp, [kernelName]: tf.ones([4, 2]) };
      const k = await empiricalNtkFn(f)(x1, null, p), kRect = await empiricalNtkFn(f)(x1, x2, p);
      const y = randn([5, 2], 12);
      const caller: Record<string, tf.Tensor> = {
        ...p,
        x1,
        x2,
        wide,
        wide4,
        nan,
        ints,
        bools,
        scalar,
        ...Object.fromEntries(two.map((t, i) => [`two${i}`, t])),
        v,
        vWrong,
        k,
        kRect,
        y,
        pv: pTwo.v,
        ...Object.fromEntries(Object.entries(lp).map(([n, t]) => [`model ${n}`, t])),
      };
      const ntk = (o = {}) => empiricalNtkFn(f, o);
      const cases: Case[] = [
        // empiricalNtkFn: arguments
        {
          name: "x1 of the wrong feature size",
          call: () => ntk()(wide, null, p),
          error: ShapeMismatchError,
          names: ["x1", "[5,7]"],
        },
        { name: "x2 unlike x1", call: () => ntk()(x1, wide, p), error: ShapeMismatchError, names: ["x2", "[5,7]"] },
        {
          name: "wrong x1 for f, plan()",
          call: () => ntk().plan(wide, null, p),
          error: ShapeMismatchError,
          names: ["x1", "[5,7]"],
        },
        {
          name: "a parameter f reads is missing",
          call: () => ntk()(x1, null, pNoB),
          error: ShapeMismatchError,
          names: ['params["b"]'],
        },
        {
          name: "x1 not a tensor",
          call: () => ntk()([[1, 2, 3]] as Any, null, p),
          error: ShapeMismatchError,
          names: ["x1"],
        },
        { name: "x1 a scalar", call: () => ntk()(scalar, null, p), error: ShapeMismatchError, names: ["x1"] },
        { name: "x1 of dtype bool", call: () => ntk()(bools, null, p), error: DTypeError, names: ["x1", "bool"] },
        { name: "an int32 parameter", call: () => ntk()(x1, null, pInt), error: DTypeError, names: ['params["w1"]'] },
        { name: "NaN in x1", call: () => ntk()(nan, null, p), error: NonFiniteInputError, names: ["x1"] },
        {
          name: "Infinity in a parameter",
          call: () => ntk()(x1, null, pBad),
          error: NonFiniteInputError,
          names: ['params["w2"]'],
        },
        { name: "params null", call: () => ntk()(x1, null, null as Any), error: ShapeMismatchError, names: ["params"] },
        {
          name: "params a tensor",
          call: () => ntk()(x1, null, x2 as Any),
          error: ShapeMismatchError,
          names: ["params"],
        },
        {
          name: "several inputs with different numbers of examples",
          call: () => empiricalNtkFn(f2)(two, null, pTwo),
          error: ShapeMismatchError,
          names: ["x1[1]", "[4,2]"],
        },
        {
          name: "traced examples, N1 ≠ N2",
          call: () => ntk({ traceAxes: [0, 1] })(x1, x2, p),
          error: ShapeMismatchError,
          names: ["x2"],
        },
        {
          name: "diagonal examples, N1 ≠ N2",
          call: () => ntk({ diagonalAxes: [0] })(x1, x2, p),
          error: ShapeMismatchError,
          names: ["x2"],
        },
        // empiricalNtkFn: options
        { name: "f not a function", call: () => empiricalNtkFn(3 as Any), error: InvalidOptionError, names: ["f"] },
        {
          name: "unknown method",
          call: () => ntk({ method: "fast" }),
          error: InvalidOptionError,
          names: ["method", "fast"],
        },
        {
          name: "traceAxes out of range",
          call: () => ntk({ traceAxes: [5] })(x1, null, p),
          error: InvalidOptionError,
          names: ["traceAxes"],
        },
        {
          name: "traceAxes not integers",
          call: () => ntk({ traceAxes: [0.5] }),
          error: InvalidOptionError,
          names: ["traceAxes"],
        },
        {
          name: "traceAxes repeated",
          call: () => ntk({ traceAxes: [1, 1] }),
          error: InvalidOptionError,
          names: ["traceAxes"],
        },
        {
          name: "traceAxes and diagonalAxes overlap",
          call: () => ntk({ traceAxes: [-1], diagonalAxes: [-1] }),
          error: InvalidOptionError,
          names: ["traceAxes/diagonalAxes"],
        },
        {
          name: "traceAxes and diagonalAxes overlap once normalized",
          call: () => ntk({ traceAxes: [-1], diagonalAxes: [1] })(x1, null, p),
          error: InvalidOptionError,
          names: ["traceAxes/diagonalAxes"],
        },
        {
          name: "diagonalAxes out of range",
          call: () => ntk({ diagonalAxes: [-3] })(x1, null, p),
          error: InvalidOptionError,
          names: ["diagonalAxes"],
        },
        {
          name: "memoryBudget 0",
          call: () => ntk({ memoryBudget: 0 }),
          error: InvalidOptionError,
          names: ["memoryBudget"],
        },
        {
          name: "memoryBudget negative",
          call: () => ntk({ memoryBudget: -5 }),
          error: InvalidOptionError,
          names: ["memoryBudget"],
        },
        {
          name: "maxTensorBytes NaN",
          call: () => ntk({ maxTensorBytes: NaN }),
          error: InvalidOptionError,
          names: ["maxTensorBytes"],
        },
        { name: "blockSize 0", call: () => ntk({ blockSize: 0 }), error: InvalidOptionError, names: ["blockSize"] },
        { name: "block [2, 2]", call: () => ntk({ block: [2, 2] }), error: InvalidOptionError, names: ["block"] },
        { name: "block [-1, 2]", call: () => ntk({ block: [-1, 2] }), error: InvalidOptionError, names: ["block"] },
        { name: "block [0.5, 2]", call: () => ntk({ block: [0.5, 2] }), error: InvalidOptionError, names: ["block"] },
        {
          name: "block not a pair",
          call: () => ntk({ block: [1] as Any }),
          error: InvalidOptionError,
          names: ["block"],
        },
        {
          name: "block with traced examples",
          call: () => ntk({ block: [0, 2], traceAxes: [0, 1] })(x1, x1, p),
          error: InvalidOptionError,
          names: ["block"],
        },
        {
          name: "unknown backend",
          call: () => ntk({ backend: "tpu" }),
          error: InvalidOptionError,
          names: ["backend", "tpu"],
        },
        {
          name: "onProgress not a function",
          call: () => ntk({ onProgress: 1 }),
          error: InvalidOptionError,
          names: ["onProgress"],
        },
        // A layers model: checked against model.inputs and its weights before any work.
        {
          name: "model: x1 of the wrong feature size",
          call: () => empiricalNtkFn(layers.f)(wide, null, lp),
          error: ShapeMismatchError,
          names: ["x1", "[5,7]", "[any, 3]"],
        },
        {
          name: "model: x2 of the wrong feature size",
          call: () => empiricalNngpFn(layers.f)(x1, wide, lp),
          error: ShapeMismatchError,
          names: ["x2", "[5,7]"],
        },
        {
          name: "model: a weight missing",
          call: () => empiricalNtkFn(layers.f)(x1, null, lpNoBias),
          error: ShapeMismatchError,
          names: [`params["${biasName}"]`, "missing"],
        },
        {
          name: "model: an extra parameter",
          call: () => empiricalKernelFn(layers.f)(x1, null, lpExtra),
          error: ShapeMismatchError,
          names: ['params["extra"]'],
        },
        {
          name: "model: a weight of the wrong shape",
          call: () => empiricalNtkVpFn(layers.f)(x1, null, lpWrong, y),
          error: ShapeMismatchError,
          names: [`params["${kernelName}"]`, "[4,2]"],
        },
        {
          name: "model f called on a bad x",
          call: () => layers.f(lp, wide),
          error: ShapeMismatchError,
          names: ["x", "[5,7]"],
        },
        // The toolkit.
        {
          name: "ntkVp: v not shaped like f(x2)",
          call: () => empiricalNtkVpFn(f)(x1, x2, p, vWrong),
          error: ShapeMismatchError,
          names: ["v"],
        },
        {
          name: "ntkVp: x2 wrong for f",
          call: () => empiricalNtkVpFn(f)(x1, wide4, p, v),
          error: ShapeMismatchError,
          names: ["x2"],
        },
        {
          name: "ntkVp: backend",
          call: () => empiricalNtkVpFn(f, { backend: "gpu" as Any }),
          error: InvalidOptionError,
          names: ["backend"],
        },
        {
          name: "nngp: x1 wrong for f",
          call: () => empiricalNngpFn(f)(wide, null, p),
          error: ShapeMismatchError,
          names: ["x1", "[5,7]"],
        },
        {
          name: "nngp: a parameter missing",
          call: () => empiricalNngpFn(f)(x1, null, pNoB),
          error: ShapeMismatchError,
          names: ['params["b"]'],
        },
        {
          name: "nngp: traceAxes out of range",
          call: () => empiricalNngpFn(f, { traceAxes: [3] })(x1, null, p),
          error: InvalidOptionError,
          names: ["traceAxes"],
        },
        {
          name: "kernelFn: unknown kernel",
          call: () => empiricalKernelFn(f)(x1, null, p, "ntkk" as Any),
          error: InvalidOptionError,
          names: ["get"],
        },
        {
          name: "kernelFn: x2 wrong for f",
          call: () => empiricalKernelFn(f)(x1, wide4, p),
          error: ShapeMismatchError,
          names: ["x2"],
        },
        {
          name: "kernelFn: memoryBudget",
          call: () => empiricalKernelFn(f, { memoryBudget: 0 }),
          error: InvalidOptionError,
          names: ["memoryBudget"],
        },
        { name: "linearize: int params0", call: () => linearize(f, pInt), error: DTypeError, names: ['params0["w1"]'] },
        {
          name: "linearize: fLin on a bad x",
          call: () => {
            const fLin = linearize(f, p);
            try {
              return fLin(p, wide);
            } finally {
              fLin.dispose();
            }
          },
          error: ShapeMismatchError,
          names: ["x", "[5,7]"],
        },
        {
          name: "ntkSpectrum: not square",
          call: () => ntkSpectrum(kRect),
          error: ShapeMismatchError,
          names: ["[5,4]"],
        },
        {
          name: "predict: learning rate",
          call: () => predictGradientDescentMse(k, y, { learningRate: -1 }),
          error: InvalidOptionError,
          names: ["learningRate"],
        },
        {
          name: "predict: yTrain rows",
          call: () => predictGradientDescentMse(k, v),
          error: ShapeMismatchError,
          names: ["yTrain"],
        },
        {
          name: "parallel: workers 0",
          call: () => empiricalNtkParallelFn({ module: "./x.ts" }, { workers: 0 }),
          error: InvalidOptionError,
          names: ["workers"],
        },
        {
          name: "parallel: memoryBudget",
          call: () => empiricalNtkParallelFn({ module: "./x.ts" }, { memoryBudget: -1 }),
          error: InvalidOptionError,
          names: ["memoryBudget"],
        },
        {
          name: "parallel: method",
          call: () => empiricalNtkParallelFn({ module: "./x.ts" }, { method: "fast" as Any }),
          error: InvalidOptionError,
          names: ["method"],
        },
      ];
      assert.ok(cases.length >= 25, `${cases.length} cases`);
      const values = Object.fromEntries(
        await Promise.all(Object.entries(caller).map(async ([n, t]) => [n, await t.data()])),
      );
      const before = tf.memory().numTensors;
      for (const c of cases) {
        let error: unknown = null;
        try {
          await c.call();
        } catch (e) {
          error = e;
        }
        assert.ok(error instanceof c.error, `${c.name}: expected ${c.error.name}, got ${error}`);
        for (const text of c.names) {
          assert.ok((error as Error).message.includes(text), `${c.name}: "${(error as Error).message}" lacks ${text}`);
        }
        for (const [n, t] of Object.entries(caller)) {
          assert.equal(t.isDisposed, false, `${c.name}: the caller's ${n} was disposed`);
        }
      }
      assert.equal(tf.memory().numTensors, before, "no tensor leaks");
      for (const [n, t] of Object.entries(caller)) assert.deepEqual(await t.data(), values[n], `${n} changed`);
      // (The model's weights go with the model.)
      tf.dispose([
        ...Object.entries(caller).filter(([n]) => !n.startsWith("model ")).map(([, t]) => t),
        pBad.w2,
        pInt.w1,
        lpExtra.extra,
        lpWrong[kernelName],
      ]);
      model.dispose();
    },
  });
}

Deno.test({
  name:
    "issue 10.3: a failure tracing the user's x1 names x1 and its shape, keeps the cause, never quotes a probe's shape",
  ...opts,
  fn: async () => {
    await tf.setBackend("cpu");
    const p = { w: randn([5, 2], 1) };
    const x = randn([9, 3], 2);
    const dense: ParamFn = (q, xx) => tf.matMul(xx as tf.Tensor, q.w);
    for (const method of ["jacobian", "ntkvp", "structured", "auto"] as const) {
      const err = await empiricalNtkFn(dense, { method }).run(x, null, p).then(() => null, (e) => e);
      assert.ok(err instanceof ShapeMismatchError, String(err));
      assert.equal(err.argument, "x1");
      assert.ok(err.message.includes("[9,3]"), err.message);
      assert.ok(!/\b2,3\b/.test(err.message), `quotes a probe's shape: ${err.message}`);
      assert.ok(err.cause instanceof Error, "the tfjs error is kept as the cause");
    }
    tf.dispose([p.w, x]);
  },
});

Deno.test({
  name: "issue 10.3: an empty batch returns the correctly shaped empty kernel from every function",
  ...opts,
  fn: async () => {
    await tf.setBackend("cpu");
    const p: Params = { w1: randn([3, 4], 1), w2: randn([4, 2], 2), b: randn([2], 3) };
    const none = tf.zeros([0, 3]), x = randn([4, 3], 4);
    for (const method of ["jacobian", "ntkvp", "structured", "auto"] as const) {
      for (
        const [traceAxes, a, b, shape] of [
          [[-1], none, null, [0, 0]],
          [[-1], none, x, [0, 4]],
          [[], x, none, [4, 0, 2, 2]],
          [[], none, null, [0, 0, 2, 2]],
        ] as [number[], tf.Tensor, tf.Tensor | null, number[]][]
      ) {
        const k = await empiricalNtkFn(f, { method, traceAxes })(a, b, p);
        assert.deepEqual(k.shape, shape, `${method} [${traceAxes}]`);
        k.dispose();
      }
    }
    const nngp = await empiricalNngpFn(f)(none, x, p);
    assert.deepEqual(nngp.shape, [0, 4]);
    const both = await empiricalKernelFn(f, { traceAxes: [] })(none, null, p);
    assert.deepEqual([both.ntk.shape, both.nngp.shape], [[0, 0, 2, 2], [0, 0, 2, 2]]);
    const vp = await empiricalNtkVpFn(f)(none, x, p, tf.ones([4, 2]));
    assert.deepEqual(vp.shape, [0, 2]);
    tf.dispose([nngp, both.ntk, both.nngp, vp, none, x, ...Object.values(p)]);
  },
});
