/**
 * The paper's FCN (input 3, 10 hidden ReLU layers of width W, output O, no bias), full NTK
 * (traceAxes: []), independent x1, x2 of N each: Jacobian contraction vs NTK-vector products,
 * side by side per (W, O) group. Run: `deno task bench` (backend: FAST_NTK_BACKEND or auto).
 */
import * as tf from "@tensorflow/tfjs";
import { empiricalNtkFn, initBackend } from "../mod.ts";
import { paperFcn } from "../tests/ntk/_models.ts";

const backend = await initBackend();
const N = 4;

for (const width of [64, 256]) {
  for (const out of [1, 16]) {
    const model = paperFcn(width, out);
    const params = model.params();
    const x1 = model.input(N, 1), x2 = model.input(N, 2);
    for (const method of ["jacobian", "ntkvp"] as const) {
      const ntk = empiricalNtkFn(model.f, { method, traceAxes: [] });
      Deno.bench({
        name: `${method} W=${width} O=${out} N=${N} (${backend})`,
        group: `FCN W=${width} O=${out}`,
        baseline: method === "jacobian",
        n: width >= 256 ? 3 : 10,
        warmup: 1,
        async fn() {
          const k = await ntk(x1, x2, params);
          await k.data();
          k.dispose();
        },
      });
    }
  }
}
// Keep tensors alive for the benches; the process exits afterwards.
void tf;
