// The fuzzer in the suite: 300 fixed-seed programs, every method on cpu against the tf.grad
// oracle (and central differences on the smooth ones among every 3rd (≤ 200 parameter entries)), every 6th program also
// on wasm and webgpu (parity with cpu); coverage of the grammar asserted; failures matching
// KNOWN_BUGS (issue 11, and this fuzzer's own findings) are reported, any other fails.
import assert from "node:assert/strict";
import { OPS } from "./grammar.ts";
import { formatSummary, runFuzz } from "./suite.ts";

Deno.test({
  name:
    "fuzz: 300 random programs, every method = explicit Jacobian (and central differences) on cpu; 50 on wasm and webgpu",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const sum = await runFuzz({
      seed: 20261204,
      count: 310,
      others: ["wasm", "webgpu"],
      otherEvery: 6,
      fdEvery: 3,
      shrinkFailures: true,
    });
    console.log(formatSummary(sum));
    assert.ok(sum.programs >= 300, `programs ${sum.programs}`);
    assert.ok((sum.perBackend.wasm ?? 0) >= 50 && (sum.perBackend.webgpu ?? 0) >= 50, JSON.stringify(sum.perBackend));
    assert.ok(sum.fdPrograms >= 0.1 * sum.programs, `finite differences on ${sum.fdPrograms} programs`);
    for (const op of OPS) {
      assert.ok((sum.hist.ops[op] ?? 0) >= 0.03 * sum.programs, `op ${op} in ${sum.hist.ops[op] ?? 0} programs`);
    }
    assert.ok(sum.hist.viewsOrReuse >= 0.3 * sum.programs, `reuse/views in ${sum.hist.viewsOrReuse}`);
    for (let d = 1; d <= 8; d++) assert.ok((sum.hist.depths[d] ?? 0) > 0, `depth ${d}`);
    assert.ok(sum.hist.zeroSize > 0 && sum.hist.rank7 > 0 && sum.hist.x2null > 0 && sum.hist.n1neN2 > 0);
    // A parity disagreement is a failure (class "parity") unless tfjs's own gradients differ too.
    assert.deepEqual(Object.keys(sum.parityMaxRel).sort(), ["wasm", "webgpu"]);
    for (const [b, d] of Object.entries(sum.parityMaxRel)) {
      assert.ok(d <= (b === "webgpu" ? 1e-3 : 1e-4), `parity ${b}: ${d}`);
    }
    const shown = sum.shrunk.map((s) => `${s.cls} ${s.method} on ${s.backend}: ${s.message.split("\n")[0]}\n${s.code}`);
    assert.equal(sum.failures.length, 0, `unexpected failures:\n${shown.join("\n\n")}`);
  },
});
