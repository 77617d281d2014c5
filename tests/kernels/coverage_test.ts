// Generated coverage: every required kernel has a linearization and at least one test case.
import assert from "node:assert/strict";
import { KERNELS } from "../../adapters/kernels/mod.ts";
import { REQUIRED_KERNELS } from "../../adapters/kernels/required.ts";
import { ALL_CASES } from "./cases/mod.ts";

const tested = new Set(ALL_CASES.map((c) => c.kernel));

for (const kernel of REQUIRED_KERNELS) {
  Deno.test(`kernel ${kernel} has a linearization and a test case`, () => {
    assert.ok(KERNELS[kernel], `adapters/kernels has no linearization for "${kernel}"`);
    assert.ok(tested.has(kernel), `tests/kernels/cases has no case for "${kernel}"`);
  });
}

Deno.test("every registered kernel has a test case", () => {
  const untested = Object.keys(KERNELS).filter((k) => !tested.has(k));
  assert.deepEqual(untested, []);
});

Deno.test("every primitive in the rule table has structure and Jacobian rules; every other Table 5 entry says why", async () => {
  const { coverageRows, NOT_REACHABLE, TABLE5 } = await import("../../bench/coverage.ts");
  const rows = coverageRows(new Map());
  for (const r of rows) {
    if (r.implemented) assert.ok(r.structure && r.jacobian, `${r.primitive} lacks structure/jacobian`);
    else assert.ok(NOT_REACHABLE[r.primitive], `${r.primitive} is neither implemented nor explained`);
  }
  assert.equal(rows.filter((r) => TABLE5.includes(r.primitive.split(" ")[0] as never)).length, TABLE5.length);
});
