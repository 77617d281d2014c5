// The memory model behind batching: each method's estimated peak covers what a run really holds
// (the linearization's residuals, im2col patches, two live intermediates per vector), and
// tensors rules derive once (patches) are kept only within their share of the budget.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { empiricalNtkFn } from "../../mod.ts";
import { cached, derivedCacheBytes, setDerivedCacheBytes } from "../../rules/_cache.ts";
import type { Eqn } from "../../src/core/ir.ts";
import { convNet, embedding, rnn, timeDense } from "./_models.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name:
    "memory estimate: every method's estimated peak bytes cover the measured peak, within 3× of it (wasm, 64 KiB slack)",
  ...opts,
  fn: async () => {
    await tf.setBackend("wasm");
    for (const m of [convNet({ size: 16, channels: 8 }), timeDense(), rnn(), embedding()]) {
      const p = m.params();
      const [x1, x2] = [m.input(8, 1), m.input(6, 2)];
      for (const method of ["jacobian", "ntkvp", "structured"] as const) {
        const ntk = empiricalNtkFn(m.f, { method, traceAxes: [] });
        const est = (await ntk.plan(x1, x2, p)).costs[method].bytes;
        const r = await ntk.run(x1, x2, p);
        r.kernel.dispose();
        const peak = r.info.peakBytes;
        // 64 KiB of slack: small bookkeeping tensors (bases, index vectors) the model leaves out.
        assert.ok(est + 64 * 1024 >= peak, `${m.name} ${method}: estimated ${est} B < measured peak ${peak} B`);
        assert.ok(est <= 3 * peak + 64 * 1024, `${m.name} ${method}: estimated ${est} B > 3 × measured peak ${peak} B`);
      }
      tf.dispose([x1, x2, ...Object.values(p)]);
    }
  },
});

Deno.test({
  name: "derived-tensor cache: kept within its byte cap; past it, made for one use and freed with the caller's scope",
  ...opts,
  fn: () => {
    const eqn = {} as Eqn;
    const make = () => tf.ones([256]); // 1 KiB
    const start = derivedCacheBytes();
    try {
      setDerivedCacheBytes(start + 1024);
      const n0 = tf.memory().numTensors;
      const a = tf.tidy(() => tf.clone(cached(eqn, "a", make))); // fits: kept
      assert.equal(derivedCacheBytes(), start + 1024);
      assert.equal(tf.memory().numTensors - n0, 2); // the kept one and the clone
      const b = tf.tidy(() => tf.clone(cached(eqn, "b", make))); // over the cap: freed with the tidy
      assert.equal(eqn.cache!.has("b"), false);
      assert.equal(tf.memory().numTensors - n0, 3);
      assert.equal(derivedCacheBytes(), start + 1024);
      assert.deepEqual(Array.from(b.dataSync()).slice(0, 2), [1, 1]);
      const again = tf.tidy(() => cached(eqn, "a", () => tf.zeros([256])) === eqn.cache!.get("a"));
      assert.equal(again, true); // a hit: the kept tensor, not made again
      eqn.cache!.get("a")!.dispose(); // what disposeProgram does
      assert.equal(derivedCacheBytes(), start);
      tf.dispose([a, b]);
      assert.equal(tf.memory().numTensors, n0);
    } finally {
      setDerivedCacheBytes(256 * 2 ** 20);
    }
  },
});
