// The oracles' float32 floors (tests/fuzz/runner.ts: kernelFloor) must excuse rounding and
// truncation, never a wrong kernel: on 80 fixed-seed programs, a kernel off by 1e-3·max|K| in one
// entry still fails the tf.grads comparison on ≥ 90% of them, and the floor is under 1e-4·max|K|
// on most; the campaign's cancellation case (h − tanh(h) near 0, derivative tanh² computed as
// 1 − (1 − tanh²)) is covered by it.
import fc from "fast-check";
import assert from "node:assert/strict";
import { initBackend } from "../../mod.ts";
import { buildProgram, programArb } from "./grammar.ts";
import { checkProgram, gradOracle, withinOracle } from "./runner.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name: "oracle floor: a 1e-3·max|K| error in one entry is still caught on ≥ 90% of 80 random programs",
  ...opts,
  fn: async () => {
    await initBackend("cpu");
    let programs = 0, caught = 0, tight = 0;
    for (const spec of fc.sample(programArb, { seed: 7, numRuns: 80 })) {
      let prog;
      try {
        prog = buildProgram(spec);
        const o = await gradOracle(prog);
        const max = Math.max(...Array.from(o.data).map((v) => (Number.isNaN(v) ? 0 : Math.abs(v))));
        if (!(max > 0)) continue;
        programs++;
        const k = Float64Array.from(o.data);
        const at = k.findIndex((v) => Math.abs(v) === max);
        k[at] += 1e-3 * max;
        if (!withinOracle(k, o.data, 1e-4, o.absFloor)) caught++;
        if (o.absFloor <= 1e-4 * max) tight++;
      } catch { /* a program tf.grads cannot differentiate (empty intermediates): not counted */ }
    }
    console.log(`${programs} programs: caught ${caught}, floor under 1e-4·max|K| on ${tight}`);
    assert.ok(programs >= 50, `${programs}`);
    assert.ok(caught >= 0.9 * programs, `caught ${caught} of ${programs}`);
    assert.ok(tight >= 0.75 * programs, `tight ${tight} of ${programs}`);
  },
});

Deno.test({
  name: "oracle floor: h − tanh(h) near 0 (float32 cancellation) passes every method and central differences",
  ...opts,
  fn: async () => {
    await initBackend("cpu");
    // The campaign's shrunk case (seed 20261205): stack([x·w0, x]) then h − tanh(h).
    const spec = {
      n1: 1,
      n2: null,
      feat: [1],
      tokens: false,
      layers: [{ op: "stack", a: 0, b: 0, c: 0, w: "fresh" }, { op: "binary", a: 1, b: 0, c: 4, w: "fresh" }],
      outRank: 0,
      axes: 0,
      seed: 42215,
    };
    const prog = buildProgram(spec as Parameters<typeof buildProgram>[0]);
    assert.match(prog.code, /tanh/);
    const r = await checkProgram(prog, "cpu", { fd: true });
    assert.equal(r.fd, true);
    assert.deepEqual(r.failures.map((f) => `${f.cls} ${f.method}: ${f.message}`), []);
  },
});
