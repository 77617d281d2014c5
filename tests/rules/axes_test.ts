// src/core/axes.ts: following rows through reshapes, permutations, axis normalization.
import assert from "node:assert/strict";
import type { ExampleAxis } from "../../src/core/ir.ts";
import {
  invertPermutation,
  leadDims,
  normAxis,
  numel,
  range,
  reshapeExampleAxis,
  sameExampleAxis,
  splitRowsShape,
} from "../../src/core/axes.ts";
import { ravel, rowOf, unravel } from "./_rule_harness.ts";

const ex = (axis: number, outer: number, inner: number): ExampleAxis => ({ axis, outer, inner });

Deno.test("reshapeExampleAxis follows rows through merges and splits", () => {
  const [N, T, F] = [4, 3, 5];
  // [N, T, F] → [N·T, F]: examples are blocks of T consecutive entries.
  assert.deepEqual(reshapeExampleAxis([N, T, F], [N * T, F], ex(0, 1, 1), N), ex(0, 1, T));
  // [T, N, F] → [T·N, F]: examples repeat every N entries, T times.
  assert.deepEqual(reshapeExampleAxis([T, N, F], [T * N, F], ex(1, 1, 1), N), ex(0, T, 1));
  // And back: splitting the merged axis recovers the example axis.
  assert.deepEqual(reshapeExampleAxis([N * T, F], [N, T, F], ex(0, 1, T), N), ex(0, 1, 1));
  assert.deepEqual(reshapeExampleAxis([T * N, F], [T, N, F], ex(0, T, 1), N), ex(1, 1, 1));
  // ExampleRows untouched by a reshape of other axes.
  assert.deepEqual(reshapeExampleAxis([N, T * F], [N, T, F], ex(0, 1, 1), N), ex(0, 1, 1));
  assert.deepEqual(reshapeExampleAxis([N, 1, F], [N, F], ex(0, 1, 1), N), ex(0, 1, 1));
  assert.deepEqual(reshapeExampleAxis([F, N], [F * N], ex(1, 1, 1), N), ex(0, F, 1));
});

Deno.test("reshapeExampleAxis gives null when rows straddle several axes", () => {
  // 6 rows split as [2, 3]: no single axis carries them.
  assert.equal(reshapeExampleAxis([6, 5], [2, 3, 5], ex(0, 1, 1), 6), null);
  // ExampleRows i % 2 of a length-6 axis, viewed as [2, 3]: row = (3a + b) % 2 mixes both axes.
  assert.equal(reshapeExampleAxis([6], [2, 3], ex(0, 3, 1), 2), null);
  // ExampleRows of [4, 3] flattened and cut as [3, 4]: row = floor((4a + b) / 3) straddles both.
  assert.equal(reshapeExampleAxis([4, 3], [3, 4], ex(0, 1, 1), 4), null);
});

/** Shapes with `n` entries: ordered factorizations into at most 3 factors (1s allowed once). */
function shapesOf(n: number): number[][] {
  const out: number[][] = [[n]];
  const grow = (prefix: number[], rest: number) => {
    for (let d = 1; d <= rest; d++) {
      if (rest % d !== 0) continue;
      const s = [...prefix, d, rest / d];
      if (s.filter((x) => x === 1).length <= 1) out.push(s);
      if (prefix.length === 0) grow([d], rest / d);
    }
  };
  grow([], n);
  return out;
}

Deno.test("reshapeExampleAxis is sound: every non-null answer labels each entry with its row", () => {
  let answers = 0;
  for (const n of [12, 8]) {
    const shapes = shapesOf(n);
    for (const from of shapes) {
      for (const to of shapes) {
        for (const [axis, size] of from.entries()) {
          for (let rows = 1; rows <= size; rows++) {
            if (size % rows !== 0) continue;
            for (let inner = 1; inner <= size / rows; inner++) {
              if ((size / rows) % inner !== 0) continue;
              const tag = ex(axis, size / rows / inner, inner);
              const got = reshapeExampleAxis(from, to, tag, rows);
              if (got === null) continue;
              answers++;
              const where = `[${from}] rows ${JSON.stringify(tag)} ×${rows} → [${to}] ${JSON.stringify(got)}`;
              assert.equal(to[got.axis], got.outer * rows * got.inner, `${where}: axis size`);
              for (let p = 0; p < n; p++) {
                const a = rowOf(unravel(p, from)[axis], tag, rows), b = rowOf(unravel(p, to)[got.axis], got, rows);
                assert.equal(b, a, `${where}: flat entry ${p} is row ${a}, labelled ${b}`);
              }
            }
          }
        }
      }
    }
  }
  assert.ok(answers > 100, `only ${answers} non-null answers were checked`);
});

Deno.test("invertPermutation inverts", () => {
  assert.deepEqual(invertPermutation([2, 0, 1]), [1, 2, 0]);
  assert.deepEqual(invertPermutation([0]), [0]);
  assert.deepEqual(invertPermutation([]), []);
  for (const perm of [[3, 1, 0, 2], [1, 0], [0, 1, 2], [2, 3, 1, 0]]) {
    const inv = invertPermutation(perm);
    assert.deepEqual(perm.map((p) => inv[p]), range(perm.length));
    assert.deepEqual(inv.map((q) => perm[q]), range(perm.length));
  }
});

Deno.test("normAxis wraps negative axes and rejects out-of-range ones", () => {
  assert.equal(normAxis(0, 3), 0);
  assert.equal(normAxis(2, 3), 2);
  assert.equal(normAxis(-1, 3), 2);
  assert.equal(normAxis(-3, 3), 0);
  assert.throws(() => normAxis(3, 3), RangeError);
  assert.throws(() => normAxis(-4, 3), RangeError);
  assert.throws(() => normAxis(0, 0), RangeError);
});

Deno.test("numel, range, leadDims, splitRowsShape and sameExampleAxis", () => {
  assert.equal(numel([4, 3, 2]), 24);
  assert.equal(numel([]), 1);
  assert.equal(numel([3, 0]), 0);
  assert.deepEqual(range(3), [0, 1, 2]);
  assert.deepEqual(range(2, 5), [5, 6]);
  assert.deepEqual(leadDims([2, 3, 4, 5], 2), [2, 3]);
  assert.deepEqual(splitRowsShape([7, 12, 5], 1, ex(1, 2, 3), 2), [7, 2, 2, 3, 5]);
  assert.ok(sameExampleAxis(ex(1, 2, 3), ex(1, 2, 3)));
  assert.ok(!sameExampleAxis(ex(1, 2, 3), ex(1, 3, 2)));
  assert.ok(sameExampleAxis(null, null));
  assert.ok(!sameExampleAxis(ex(0, 1, 1), null));
  // splitRowsShape keeps the entries in place: position i of the axis becomes (o, r, j).
  const s = [12];
  const split = splitRowsShape(s, 0, ex(0, 2, 3), 2);
  for (let i = 0; i < 12; i++) assert.equal(ravel(unravel(i, split), split), i);
  assert.equal(unravel(7, split)[1], rowOf(7, ex(0, 2, 3), 2));
});
