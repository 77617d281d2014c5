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

Deno.test("fuzz parity: differences below the oracle's rounding floor are measured against that floor, not the kernel's size", () => {
  // Entries ~1e-17 (rounding noise of a Jacobian ~1e-8) differ by 40% relative, by 1e-5 on the floor's scale.
  assert.ok(Math.abs(relDiff(f([1.4e-17]), f([1e-17])) - 0.4) < 1e-6);
  assert.ok(Math.abs(relDiff(f([1.4e-17]), f([1e-17]), 4e-16 / 1e-3) - 1e-5) < 1e-7); // 4e-18 / 4e-13
  assert.ok(Math.abs(relDiff(f([3]), f([2]), 1) - 0.5) < 1e-7); // a floor below max|K| changes nothing
});
