// empiricalNtkFn's contract: layouts, fresh constants on every call, symmetry, diagnostics,
// FLOP counts against the paper, peak memory, and named errors with no leaks.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import {
  DataDependentTraceError,
  DTypeError,
  empiricalNtkFn,
  InvalidOptionError,
  NonFiniteInputError,
  ShapeMismatchError,
  UnsupportedKernelError,
} from "../../mod.ts";
import { checkAgainstReference } from "./_check.ts";
import { batchStats, convNet, embedding, mlp, paperFcn, rnn, timeDense } from "./_models.ts";
import { randn } from "../_data.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const METHODS = ["jacobian", "ntkvp", "structured"] as const;

Deno.test({
  name: "empiricalNtkFn() recomputes value-dependent constants on every call",
  ...opts,
  fn: async () => {
    await tf.setBackend("cpu");
    const m = mlp("relu");
    for (const method of METHODS) {
      const ntk = empiricalNtkFn(m.f, { method });
      const p = m.params();
      const [x1, x2, x3] = [m.input(3, 1), m.input(4, 2), m.input(3, 9)];
      const k1 = await ntk(x1, x2, p);
      const k2 = await ntk(x3, x2, p); // another x of the same shape: other ReLU masks
      const p2 = Object.fromEntries(Object.entries(p).map(([n, t]) => [n, tf.add(t, randn(t.shape, 5, 0.3))]));
      const k3 = await ntk(x1, x2, p2); // perturbed params
      const ref = async (xa: tf.Tensor, pp: Record<string, tf.Tensor>) => {
        const again = empiricalNtkFn(m.f, { method: "jacobian" });
        return await again(xa, x2, pp);
      };
      for (const [got, want] of [[k2, await ref(x3, p)], [k3, await ref(x1, p2)]]) {
        const [g, w] = [await got.data(), await want.data()];
        const err = Math.max(...g.map((v, i) => Math.abs(v - w[i]))) / Math.max(...w.map(Math.abs));
        assert.ok(err < 1e-5, `${method}: stale result, rel error ${err}`);
        want.dispose();
      }
      assert.ok(Math.max(...(await tf.sub(k1, k2).abs().data())) > 1e-3, "different inputs give different kernels");
      tf.dispose([k1, k2, k3, x1, x2, x3, ...Object.values(p), ...Object.values(p2)]);
    }
  },
});

for (const method of METHODS) {
  Deno.test({
    name: `${method}: diagonalAxes [0] keeps per-example blocks`,
    ...opts,
    fn: async () => {
      await tf.setBackend("cpu");
      await checkAgainstReference(mlp("tanh"), { method, n1: 4, n2: null, traceAxes: [], diagonalAxes: [0] });
      await checkAgainstReference(timeDense(), { method, n1: 3, n2: null, traceAxes: [-1], diagonalAxes: [0] });
      await checkAgainstReference(timeDense(), { method, n1: 3, n2: 2, traceAxes: [], diagonalAxes: [1] });
      await checkAgainstReference(timeDense(), { method, n1: 3, n2: 2, traceAxes: [1], diagonalAxes: [] });
    },
  });

  Deno.test({
    name: `${method}: K(x, x) is symmetric, K[i,j,a,b] = K[j,i,b,a]`,
    ...opts,
    fn: async () => {
      await tf.setBackend("wasm");
      const m = convNet();
      const p = m.params(), x = m.input(4, 3);
      const k = await empiricalNtkFn(m.f, { method, traceAxes: [] })(x, null, p);
      const kt = tf.transpose(k, [1, 0, 3, 2]);
      const diff = (await tf.max(tf.abs(tf.sub(k, kt))).data())[0];
      const scale = (await tf.max(tf.abs(k)).data())[0];
      assert.ok(diff <= 1e-5 * scale, `asymmetry ${diff} (scale ${scale})`);
      tf.dispose([k, kt, x, ...Object.values(p)]);
    },
  });
}

Deno.test({
  name: "run() reports the example axis tracked end to end for MLP, CNN, RNN and Embedding",
  ...opts,
  fn: async () => {
    await tf.setBackend("cpu");
    for (const m of [mlp("relu"), convNet(), rnn(), embedding()]) {
      const info = await checkAgainstReference(m, { method: "jacobian", n1: 3, n2: 2 });
      assert.equal(info.exampleAxis.tracked, true, `${m.name}: ${JSON.stringify(info.exampleAxis.lost)}`);
      assert.equal(info.exampleAxis.rows, 3);
    }
  },
});

Deno.test({
  name: "run() reports rows mixed by batch statistics, and the result stays exact",
  ...opts,
  fn: async () => {
    await tf.setBackend("cpu");
    for (const method of METHODS) {
      const info = await checkAgainstReference(batchStats(), { method, n1: 4, n2: 3, traceAxes: [] });
      assert.equal(info.exampleAxis.tracked, false);
      assert.ok(info.exampleAxis.lost.length > 0);
      assert.ok(info.exampleAxis.lost.some((l) => /Mean|Sub/.test(l.source)), JSON.stringify(info.exampleAxis.lost));
    }
  },
});

Deno.test({
  name: "jacobian: counted FLOPs on the paper's FCN are within 3× of Table 1's N·O·[FP] + N²O²P",
  ...opts,
  fn: async () => {
    await tf.setBackend("wasm");
    for (const [w, o, n] of [[32, 4, 4], [64, 8, 3]]) {
      const depth = 4;
      const m = paperFcn(w, o, depth);
      const p = m.params();
      const [x1, x2] = [m.input(n, 1), m.input(n, 2)];
      const { kernel, info } = await empiricalNtkFn(m.f, { method: "jacobian", traceAxes: [] }).run(x1, x2, p);
      const params = 3 * w + (depth - 1) * w * w + w * o;
      const fp = 2 * params; // one example's forward pass, a multiply-add counted as 2 FLOPs
      const paper = n * o * fp + n * n * o * o * params;
      const ratio = info.flops / paper;
      assert.ok(
        ratio <= 3 && ratio >= 1 / 3,
        `W=${w} O=${o} N=${n}: counted ${info.flops} vs paper ${paper} (×${ratio.toFixed(2)})`,
      );
      tf.dispose([kernel, x1, x2, ...Object.values(p)]);
    }
  },
});

Deno.test({
  name: "jacobian: at most one parameter's Jacobian per side is alive (tf.profile peak bytes)",
  ...opts,
  fn: async () => {
    await tf.setBackend("cpu");
    const [w, o, n, depth] = [48, 8, 4, 10];
    const m = paperFcn(w, o, depth);
    const p = m.params();
    const [x1, x2] = [m.input(n, 1), m.input(n, 2)];
    const ntk = empiricalNtkFn(m.f, { method: "jacobian", traceAxes: [] });
    const prof = await tf.profile(async () => {
      const k = await ntk(x1, x2, p);
      k.dispose();
    });
    // tf.profile counts reshape views as bytes too, so a step holding one Jacobian per side
    // shows several copies; holding every Jacobian would exceed `allJ`.
    const oneJ = 4 * o * n * w * w; // bytes of one per-example hidden-layer Jacobian [O, N, W, W]
    const allJ = 2 * 4 * o * n * (3 * w + (depth - 1) * w * w + w * o); // every Jacobian of both sides
    assert.ok(prof.peakBytes < 0.6 * allJ, `peak ${prof.peakBytes} B vs all Jacobians ${allJ} B`);
    assert.ok(prof.peakBytes < 10 * oneJ, `peak ${prof.peakBytes} B vs one Jacobian ${oneJ} B`);
    tf.dispose([x1, x2, ...Object.values(p)]);
  },
});

Deno.test({
  name: "a function whose output ignores the parameters has a zero NTK",
  ...opts,
  fn: async () => {
    await tf.setBackend("cpu");
    for (const method of METHODS) {
      const k = await empiricalNtkFn((_p, x) => tf.mul(x as tf.Tensor, 2), { method, traceAxes: [] })(
        randn([3, 2], 1),
        randn([2, 2], 2),
        { w: randn([2], 3) },
      );
      assert.deepEqual(k.shape, [3, 2, 2, 2]);
      assert.equal((await tf.max(tf.abs(k)).data())[0], 0);
      k.dispose();
    }
  },
});

// ---- errors: each names the argument, and nothing leaks ----

async function rejects(fn: () => Promise<unknown>, cls: new (...a: never[]) => Error, pattern: RegExp) {
  const before = tf.memory().numTensors;
  await assert.rejects(fn, (e: Error) => {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${e.name}: ${e.message}`);
    assert.match(e.message, pattern);
    return true;
  });
  assert.equal(tf.memory().numTensors, before, "an error path leaked tensors");
}

Deno.test({
  name: "bad input gets a named error, never a wrong NTK",
  ...opts,
  fn: async () => {
    await tf.setBackend("cpu");
    const m = mlp("relu");
    const p = m.params();
    const [x1, x2] = [m.input(3, 1), m.input(2, 2)];
    const ntk = empiricalNtkFn(m.f);
    const intParams = { ...p, w1: tf.cast(p.w1, "int32") };
    await rejects(() => ntk(x1, x2, intParams), DTypeError, /params\["w1"\].*int32/);
    const wide = randn([2, 4], 3);
    await rejects(() => ntk(x1, wide, p), ShapeMismatchError, /x2.*feature shape \[4\].*\[3\]/);
    const nan = tf.tensor2d([[1, NaN, 2], [0, 1, 2], [3, 4, 5]]);
    await rejects(() => ntk(nan, x2, p), NonFiniteInputError, /x1/);
    const inf = { ...p, b2: tf.fill([8], Infinity) };
    await rejects(() => ntk(x1, x2, inf), NonFiniteInputError, /params\["b2"\]/);
    const twoUnsupported = (q: Record<string, tf.Tensor>, x: tf.Tensor | tf.Tensor[]) =>
      tf.add(tf.cumprod(tf.matMul(x as tf.Tensor, q.w1), 1), tf.topk(tf.matMul(x as tf.Tensor, q.w1), 8).values);
    await rejects(
      () => empiricalNtkFn(twoUnsupported)(x1, x2, p),
      UnsupportedKernelError,
      /"Cumprod".*"TopK"|"TopK".*"Cumprod"/,
    );
    const reads = (q: Record<string, tf.Tensor>, x: tf.Tensor | tf.Tensor[]) => {
      const h = tf.matMul(x as tf.Tensor, q.w1);
      return tf.mul(h, h.dataSync()[0]);
    };
    await rejects(
      () => empiricalNtkFn(reads)(x1, x2, p),
      DataDependentTraceError,
      /read parameter-dependent tensor values/,
    );
    assert.throws(() => empiricalNtkFn(m.f, { method: "fastest" as never }), InvalidOptionError);
    await rejects(() => empiricalNtkFn(m.f, { traceAxes: [5] })(x1, x2, p), InvalidOptionError, /traceAxes/);
    tf.dispose([x1, x2, wide, nan, intParams.w1, inf.b2, ...Object.values(p)]);
  },
});

Deno.test({
  name:
    "jacobian: counted FLOPs on a CNN are within 2× of Table 1's N·O·[FP] + N²O²P (per-example filter cotangents are one pass, not N)",
  ...opts,
  fn: async () => {
    await tf.setBackend("wasm");
    const [size, ch, o, n] = [8, 4, 3, 8];
    const m = convNet({ size, channels: ch, out: o });
    const p = m.params();
    const [x1, x2] = [m.input(n, 1), m.input(n, 2)];
    const { kernel, info } = await empiricalNtkFn(m.f, { method: "jacobian", traceAxes: [] }).run(x1, x2, p);
    const s2 = size / 2;
    // One example's forward pass: conv 3×3 (2→ch, 'same'), conv 3×3 (ch→ch, stride 2), dense.
    const fp = 2 * (size * size * 9 * 2 * ch + s2 * s2 * 9 * ch * ch + s2 * s2 * ch * o);
    const params = 9 * 2 * ch + ch + 9 * ch * ch + s2 * s2 * ch * o;
    const paper = 2 * n * o * fp + n * n * o * o * 2 * params; // both sides; a multiply-add is 2
    const ratio = info.flops / paper;
    assert.ok(ratio <= 2 && ratio >= 1 / 2, `counted ${info.flops} vs paper ${paper} (×${ratio.toFixed(2)})`);
    tf.dispose([kernel, x1, x2, ...Object.values(p)]);
  },
});
