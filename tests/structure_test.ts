// src/core/structure.ts on its own: the trimmed layout, denseFromStructure on hand-made structures
// against dense tensors built entry by entry, checkStructure's rejections, and that every rule
// states a structure. The rules' structures are checked in tests/rules/_rule_harness.ts.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import "../src/core/backend.ts";
import { RuleContractError } from "../src/core/errors.ts";
import { checkStructure, denseFromStructure, keptAxes, type Structure, trimmedShape } from "../src/core/structure.ts";
import { RULES } from "../rules/mod.ts";
import { fromFn, randArr, toTensor, unravel } from "./rules/_rule_harness.ts";

await tf.setBackend("cpu");

const none: Structure = { constantBlockDiagonal: [], blockDiagonal: [], outputTiled: [], inputTiled: [] };
const s = (parts: Partial<Structure>): Structure => ({ ...none, ...parts });

/**
 * Checks denseFromStructure(structure, J̃) against `entry(yIdx, wIdx, jt)` at every entry of
 * D[y…, w…], J̃ random of the trimmed shape (read with `jt(kept indices)`).
 */
async function rebuilds(
  st: Structure,
  y: number[],
  w: number[],
  entry: (yi: number[], wi: number[], jt: (idx: number[]) => number) => number,
) {
  const before = tf.memory().numTensors;
  const shape = trimmedShape(st, y, w);
  const jArr = randArr(shape, 4);
  const jt = toTensor(jArr);
  const d = denseFromStructure(st, jt, y, w);
  assert.deepEqual(d.shape, [...y, ...w]);
  const got = await d.data();
  const want = fromFn(
    [...y, ...w],
    (i) => entry(i.slice(0, y.length), i.slice(y.length), (k) => jArr.data[k.reduce((f, x, a) => f * shape[a] + x, 0)]),
  );
  // (+ 0: a -0 and a 0 are the same derivative)
  got.forEach((v, f) => assert.equal(v + 0, Math.fround(want.data[f]) + 0, `entry [${unravel(f, [...y, ...w])}]`));
  tf.dispose([jt, d]);
  assert.equal(tf.memory().numTensors, before, "tensors leaked");
}

const delta = (a: number, b: number) => (a === b ? 1 : 0);

Deno.test("keptAxes and trimmedShape: kept y axes, then kept w axes, each increasing", () => {
  const st = s({ constantBlockDiagonal: [[2, 0]], blockDiagonal: [[0, 2]], outputTiled: [3], inputTiled: [1] });
  assert.deepEqual(keptAxes(st, 4, 4), { y: [0, 1], w: [3] });
  assert.deepEqual(trimmedShape(st, [5, 6, 7, 8], [7, 9, 5, 4]), [5, 6, 4]);
  assert.deepEqual(trimmedShape(none, [2, 3], [4]), [2, 3, 4]);
});

Deno.test("denseFromStructure: constant block-diagonal pairs, also transposed", async () => {
  await rebuilds(s({ constantBlockDiagonal: [[0, 0]] }), [3], [3], (y, w, j) => j([]) * delta(y[0], w[0]));
  // A transpose: y[a, b] = w[b, a].
  await rebuilds(
    s({ constantBlockDiagonal: [[0, 1], [1, 0]] }),
    [2, 3],
    [3, 2],
    (y, w, j) => j([]) * delta(y[0], w[1]) * delta(y[1], w[0]),
  );
  // One pair, the rest dense: J̃ [y1, w1].
  await rebuilds(
    s({ constantBlockDiagonal: [[0, 0]] }),
    [4, 2],
    [4, 3],
    (y, w, j) => j([y[1], w[1]]) * delta(y[0], w[0]),
  );
});

Deno.test("denseFromStructure: block-diagonal pairs keep their y axis in J̃", async () => {
  // D[i, j, k] = δ(i, k)·J̃[i, j]: a per-row matrix.
  await rebuilds(s({ blockDiagonal: [[0, 0]] }), [3, 2], [3], (y, w, j) => j([y[0], y[1]]) * delta(y[0], w[0]));
  // Mixed with a constant pair: D[i, j; k, l] = δ(i, l)·δ(j, k)·J̃[j].
  await rebuilds(
    s({ constantBlockDiagonal: [[0, 1]], blockDiagonal: [[1, 0]] }),
    [4, 3],
    [3, 4],
    (y, w, j) => j([y[1]]) * delta(y[0], w[1]) * delta(y[1], w[0]),
  );
});

Deno.test("denseFromStructure: tiled axes drop out of J̃", async () => {
  await rebuilds(s({ outputTiled: [0] }), [2, 3], [4], (y, w, j) => j([y[1], w[0]]));
  await rebuilds(s({ inputTiled: [0] }), [3], [2, 3], (y, w, j) => j([y[0], w[1]]));
  // A broadcast [3, 1] → [2, 3, 4]: a new axis, a kept one, an expanded one.
  await rebuilds(
    s({ constantBlockDiagonal: [[1, 0]], outputTiled: [0, 2], inputTiled: [1] }),
    [2, 3, 4],
    [3, 1],
    (y, w, j) => j([]) * delta(y[1], w[0]),
  );
});

Deno.test("denseFromStructure: a selection reads w at the indices", async () => {
  const indices = [4, 0, 2, 2];
  const idx = tf.tensor1d(indices, "int32");
  // A gather of [5, 2] rows at 4 indices: y[i, j] = w[indices[i], j].
  const gather = s({ constantBlockDiagonal: [[1, 1]], selection: { yAxes: [0], wAxis: 0, indices: idx } });
  await rebuilds(gather, [4, 2], [5, 2], (y, w, j) => j([]) * delta(w[0], indices[y[0]]) * delta(y[1], w[1]));
  // With a dense remainder: J̃ [y1, w1].
  const dense = s({ selection: { yAxes: [0], wAxis: 0, indices: idx } });
  await rebuilds(dense, [4, 3], [5, 2], (y, w, j) => j([y[1], w[1]]) * delta(w[0], indices[y[0]]));
  idx.dispose();
  // Index axes of rank 2 in the middle of y.
  const idx2 = tf.tensor2d([[1, 0, 2], [2, 2, 0]], [2, 3], "int32");
  const at2 = (a: number, b: number) => [[1, 0, 2], [2, 2, 0]][a][b];
  await rebuilds(
    s({ constantBlockDiagonal: [[0, 0]], selection: { yAxes: [1, 2], wAxis: 1, indices: idx2 } }),
    [4, 2, 3],
    [4, 3],
    (y, w, j) => j([]) * delta(y[0], w[0]) * delta(w[1], at2(y[1], y[2])),
  );
  idx2.dispose();
});

Deno.test("checkStructure rejects malformed structures with RuleContractError", () => {
  const y = [4, 3], w = [3, 4];
  const idx = tf.zeros([4], "int32");
  const bad: [string, Structure, RegExp][] = [
    ["a y axis out of range", s({ outputTiled: [2] }), /y axis 2 out of range/],
    ["a negative w axis", s({ inputTiled: [-1] }), /w axis -1 out of range/],
    ["a y axis listed twice", s({ constantBlockDiagonal: [[0, 1]], outputTiled: [0] }), /y axis 0 listed twice/],
    ["a w axis listed twice", s({ blockDiagonal: [[1, 0]], inputTiled: [0] }), /w axis 0 listed twice/],
    ["paired axes of different sizes", s({ constantBlockDiagonal: [[0, 0]] }), /differ in size/],
    ["selection indices of the wrong shape", s({ selection: { yAxes: [1], wAxis: 0, indices: idx } }), /do not match/],
    ["selection indices of the wrong rank", s({ selection: { yAxes: [], wAxis: 0, indices: idx } }), /do not match/],
    ["a selection axis also tiled", s({ inputTiled: [0], selection: { yAxes: [0], wAxis: 0, indices: idx } }), /twice/],
  ];
  for (const [what, st, message] of bad) {
    assert.throws(() => checkStructure("mul", 1, st, y, w), (e: unknown) => {
      assert.ok(e instanceof RuleContractError, `${what}: ${e}`);
      assert.match(e.message, message, what);
      assert.match(e.message, /operand 1/, what);
      return true;
    });
  }
  // And accepts well-formed ones.
  checkStructure("mul", 0, s({ constantBlockDiagonal: [[0, 1], [1, 0]] }), y, w);
  checkStructure("mul", 0, s({ outputTiled: [1], selection: { yAxes: [0], wAxis: 1, indices: idx } }), y, w);
  idx.dispose();
});

Deno.test("every rule states a structure and a trimmed Jacobian", () => {
  const missing = Object.entries(RULES).filter(([, r]) => !r.structure || !r.jacobian).map(([p]) => p);
  assert.deepEqual(missing, []);
});
