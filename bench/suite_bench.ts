/**
 * The issue-15 suite's cells as `deno bench` cases: AUTO and each method per cell, traced NTK.
 * Smoke sizes by default (CI runs each bench file once); FAST_NTK_SUITE=full for the suite's
 * sizes. PyTorch, the roofline and the agreement are `deno task bench:suite`'s.
 */
import { empiricalNtkFn, initBackend } from "../mod.ts";
import { SUITE_METHODS } from "./suite/suite.ts";
import { suite } from "./suite/_workloads.ts";

const backend = await initBackend();
const full = Deno.env.get("FAST_NTK_SUITE") === "full";
for (const make of suite(!full)) {
  const w = make();
  for (const method of SUITE_METHODS) {
    const ntk = empiricalNtkFn(w.f, { method });
    Deno.bench({
      name: `${method} ${w.id}`,
      group: `${w.id} (${backend})`,
      baseline: method === "auto",
      n: full ? 5 : 1,
      warmup: 1,
      async fn() {
        const k = await ntk(w.x1, w.x2, w.params);
        await k.data();
        k.dispose();
      },
    });
  }
}
