// The fuzzer's backend-parity measure: equal non-finite entries agree, a one-sided one does not.
import assert from "node:assert/strict";
import { relDiff } from "./suite.ts";

const f = (xs: number[]) => new Float32Array(xs);

Deno.test("fuzz parity: relative difference over the largest finite entry; Inf and NaN alike agree, one-sided they do not", () => {
  assert.equal(relDiff(f([1, 2, 4]), f([1, 2, 4])), 0);
  assert.ok(Math.abs(relDiff(f([1, 2.5, 4]), f([1, 2, 4])) - 0.125) < 1e-7);
  assert.equal(relDiff(f([Infinity, NaN, 2]), f([Infinity, NaN, 2])), 0); // was NaN: Inf − Inf
  assert.equal(relDiff(f([Infinity, 1]), f([-Infinity, 1])), Infinity);
  assert.equal(relDiff(f([NaN, 1]), f([0, 1])), Infinity);
  assert.equal(relDiff(f([]), f([])), 0);
});
