/**
 * The paper's FCN (input 3, 10 hidden ReLU layers of width W, output O, no bias), full NTK
 * (traceAxes: []), independent x1, x2 of N each: the three methods side by side in one group
 * per (W, O, N). Run: `deno task bench` (backend: FAST_NTK_BACKEND, else the fastest present).
 */
import { empiricalNtkFn, initBackend } from "../mod.ts";
import { paperFcn } from "../tests/ntk/_models.ts";

const backend = await initBackend();

for (const width of [64, 256, 512]) {
  for (const out of [1, 16]) {
    for (const n of [4, 16]) {
      const model = paperFcn(width, out);
      const params = model.params();
      const x1 = model.input(n, 1), x2 = model.input(n, 2);
      // Jacobian contraction costs N²·O²·P: keep the slow cells to a single timed run.
      const heavy = width * width * out * out * n * n >= 512 * 512 * 16 * 16 * 4;
      for (const method of ["jacobian", "ntkvp", "structured"] as const) {
        const ntk = empiricalNtkFn(f(model), { method, traceAxes: [] });
        Deno.bench({
          name: `${method} W=${width} O=${out} N=${n}`,
          group: `FCN W=${width} O=${out} N=${n} (${backend})`,
          baseline: method === "jacobian",
          n: heavy ? 1 : width >= 256 ? 3 : 10,
          warmup: heavy ? 0 : 1,
          async fn() {
            const k = await ntk(x1, x2, params);
            await k.data();
            k.dispose();
          },
        });
      }
    }
  }
}

function f(model: ReturnType<typeof paperFcn>) {
  return model.f;
}
