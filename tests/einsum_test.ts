// Contractions: the pure planner (no tfjs), and contract2 / contractMany against plain loops.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { contract2, contractMany, type Label, planContraction, WASM_LIMITS } from "../src/core/einsum.ts";
import { initBackend } from "../src/core/backend.ts";
import { randn } from "./_data.ts";

/** A plain-loop einsum: the oracle. */
function loopEinsum(
  ops: { data: ArrayLike<number>; shape: number[]; labels: Label[] }[],
  out: Label[],
): { data: Float64Array; shape: number[] } {
  const size = new Map<Label, number>();
  for (const o of ops) o.labels.forEach((l, i) => size.set(l, o.shape[i]));
  const all = [...size.keys()];
  const outShape = out.map((l) => size.get(l)!);
  const data = new Float64Array(outShape.reduce((a, b) => a * b, 1));
  const idx = new Map<Label, number>(all.map((l) => [l, 0]));
  const total = all.reduce<number>((p, l) => p * size.get(l)!, 1);
  for (let f = 0; f < total; f++) {
    let rem = f;
    for (let k = all.length - 1; k >= 0; k--) {
      const s = size.get(all[k])!;
      idx.set(all[k], rem % s);
      rem = Math.floor(rem / s);
    }
    let v = 1;
    for (const o of ops) {
      let flat = 0;
      o.labels.forEach((l, i) => (flat = flat * o.shape[i] + idx.get(l)!));
      v *= o.data[flat];
    }
    let at = 0;
    out.forEach((l, i) => (at = at * outShape[i] + idx.get(l)!));
    data[at] += v;
  }
  return { data, shape: outShape };
}

Deno.test("planContraction() finds the cheap order for structured derivatives' Dense term", () => {
  const sz: Record<string, number> = { o: 16, n: 16, h: 512, f: 512, p: 16, m: 16 };
  const inputs = [["o", "n", "h"], ["n", "f"], ["m", "f"], ["p", "m", "h"]];
  const plan = planContraction(inputs, ["n", "m", "o", "p"], (l) => sz[l as string]);
  // Either contraction order over h and f costs ~N²(O²H + F); anything building an
  // [O, N, H, F] Jacobian costs O·N·H·F·… ≥ 67M·16: the optimum stays below 70M.
  assert.ok(plan.flops < 7e7, `plan flops ${plan.flops}`);
  assert.equal(plan.steps.length, 3);
  const greedy = planContraction(inputs, ["n", "m", "o", "p"], (l) => sz[l as string], { strategy: "greedy" });
  assert.ok(greedy.flops >= plan.flops);
});

Deno.test("planContraction() honours a memory limit when another order exists", () => {
  const sz: Record<string, number> = { a: 100, b: 100, c: 2, d: 100 };
  // ab,bc,cd->ad: (ab·bc)·cd keeps intermediates small; ab·cd first would build [a,b,c,d].
  const plan = planContraction([["a", "b"], ["c", "d"], ["b", "c"]], ["a", "d"], (l) => sz[l as string], {
    memoryLimit: 1e4,
  });
  assert.ok(plan.largestIntermediate <= 1e4);
});

Deno.test({
  name: "contract2() and contractMany() match plain loops (batch, contracted, summed, free labels)",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await initBackend("cpu");
    const cases: { shapes: number[][]; labels: Label[][]; out: Label[] }[] = [
      { shapes: [[3, 4], [4, 5]], labels: [["i", "j"], ["j", "k"]], out: ["i", "k"] },
      { shapes: [[2, 3, 4], [2, 4, 5]], labels: [["b", "i", "j"], ["b", "j", "k"]], out: ["k", "b", "i"] },
      { shapes: [[3, 4, 2], [4, 5]], labels: [["i", "j", "s"], ["j", "k"]], out: ["k", "i"] }, // s summed alone
      { shapes: [[3, 1, 4], [4, 5]], labels: [["i", "u", "j"], ["j", "k"]], out: ["i", "u", "k"] }, // size-1 kept
      { shapes: [[3, 4], [5, 2]], labels: [["i", "j"], ["k", "l"]], out: ["l", "i", "k", "j"] }, // outer product
      { shapes: [[2, 3, 4, 5], [5, 4, 6]], labels: [["a", "b", "c", "d"], ["d", "c", "e"]], out: ["e", "a", "b"] }, // fused runs
    ];
    for (const c of cases) {
      const ts = c.shapes.map((s, i) => randn(s, 10 + i));
      const want = loopEinsum(
        await Promise.all(ts.map(async (t, i) => ({ data: await t.data(), shape: t.shape, labels: c.labels[i] }))),
        c.out,
      );
      const got = contract2(ts[0], c.labels[0], ts[1], c.labels[1], c.out);
      assert.deepEqual(got.shape, want.shape);
      const g = await got.data();
      for (let i = 0; i < g.length; i++) {
        assert.ok(Math.abs(g[i] - want.data[i]) < 1e-4, `${JSON.stringify(c.labels)} at ${i}`);
      }
      tf.dispose([...ts, got]);
    }
    const shapes = [[3, 4, 5], [4, 6], [2, 6], [7, 2, 5]];
    const labels: Label[][] = [["o", "n", "h"], ["n", "f"], ["m", "f"], ["p", "m", "h"]];
    const ts = shapes.map((s, i) => randn(s, 20 + i));
    const want = loopEinsum(
      await Promise.all(ts.map(async (t, i) => ({ data: await t.data(), shape: t.shape, labels: labels[i] }))),
      ["n", "m", "o", "p"],
    );
    const before = tf.memory().numTensors;
    const got = contractMany(ts, labels, ["n", "m", "o", "p"]);
    assert.equal(tf.memory().numTensors, before + 1);
    const g = await got.data();
    for (let i = 0; i < g.length; i++) assert.ok(Math.abs(g[i] - want.data[i]) < 1e-4);
    tf.dispose([...ts, got]);
    assert.throws(
      () => contract2(tf.zeros([2, 3]), ["i", "j"], tf.zeros([4, 5]), ["j", "k"], ["i", "k"]),
      /label j has size 3 in lhs and 4/,
    );
  },
});

Deno.test({
  name: "contract2() on wasm splits a large right operand (XNNPACK packs it) and matches the unsplit result",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await initBackend("wasm");
    const cases: { shapes: number[][]; labels: Label[][]; out: Label[] }[] = [
      { shapes: [[6, 40], [7, 40]], labels: [["i", "k"], ["j", "k"]], out: ["i", "j"] }, // J1·J2ᵀ
      { shapes: [[3, 5, 8], [3, 8, 9]], labels: [["b", "i", "k"], ["b", "k", "j"]], out: ["j", "b", "i"] },
      { shapes: [[4, 6, 5], [5, 6, 11]], labels: [["i", "k", "l"], ["l", "k", "j"]], out: ["i", "j"] },
    ];
    const saved = WASM_LIMITS.packedBytes;
    try {
      for (const c of cases) {
        const [a, b] = c.shapes.map((s, i) => randn(s, 30 + i));
        const whole = contract2(a, c.labels[0], b, c.labels[1], c.out);
        WASM_LIMITS.packedBytes = 64; // a few columns per piece
        const before = tf.memory().numTensors;
        const split = contract2(a, c.labels[0], b, c.labels[1], c.out);
        assert.equal(tf.memory().numTensors, before + 1, "pieces are freed");
        WASM_LIMITS.packedBytes = saved;
        assert.deepEqual(split.shape, whole.shape);
        const [x, y] = [await split.data(), await whole.data()];
        for (let i = 0; i < x.length; i++) {
          assert.ok(Math.abs(x[i] - y[i]) < 1e-5, `${JSON.stringify(c.labels)} at ${i}`);
        }
        tf.dispose([a, b, whole, split]);
      }
    } finally {
      WASM_LIMITS.packedBytes = saved;
    }
  },
});
