/**
 * `deno task coverage`: every linear primitive of the paper's Table 5, what fast-ntk implements
 * for it (apply/transpose, structure, trimmed Jacobian), which tfjs kernels emit it (found by
 * linearizing the kernel test cases), or why tfjs cannot reach it.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { RULES } from "../rules/mod.ts";
import type { PrimitiveName } from "../src/core/ir.ts";

/** Table 5's primitives that cannot arise from tfjs, with the reason. */
export const NOT_REACHABLE: Record<string, string> = {
  all_gather: "collective: tfjs runs on one device, it has no collectives",
  all_to_all: "collective: tfjs runs on one device, it has no collectives",
  pdot: "collective (sharded dot): tfjs runs on one device",
  ppermute: "collective: tfjs runs on one device",
  psum: "collective: tfjs runs on one device",
  xla_pmap: "multi-device map: tfjs runs on one device",
  xmap: "named-axis sharding: tfjs runs on one device",
  sharding_constraint: "sharding annotation: tfjs runs on one device",
  call: "call frame: the tracer inlines every op at the kernel level",
  named_call: "call frame: the tracer inlines every op at the kernel level",
  xla_call: "jit frame: tfjs runs eagerly; the tracer inlines",
  remat_call: "rematerialization: tfjs has no remat; the tracer records the forward kernels",
  custom_lin: "AD-internal (custom_jvp linearization): tfjs custom gradients are traced through their forward kernels",
  linear_call: "AD-internal linear call: no tfjs counterpart",
  custom_linear_solve: "no tfjs kernel solves linear systems",
  triangular_solve: "no tfjs kernel solves triangular systems",
  while: "control flow: tfjs runs eagerly, loops unroll in the trace",
  complex: "complex numbers: tfjs-wasm has none and parameters must be float32",
  conj: "complex numbers: tfjs-wasm has none and parameters must be float32",
  real: "complex numbers: tfjs-wasm has none and parameters must be float32",
  imag: "complex numbers: tfjs-wasm has none and parameters must be float32",
  fft: "complex FFT: tfjs-wasm has none and parameters must be float32",
  dynamic_slice: "tfjs slices are static (Slice/StridedSlice attrs are numbers): they emit slice",
  dynamic_update_slice: "tfjs has no tensor-indexed update slice (TensorScatterUpdate is a scatter)",
  scatter: "TensorScatterUpdate: not linearized yet (ScatterNd, which adds, is: scatter_add)",
  "scatter-mul": "no tfjs kernel multiplies by scatter",
  select: "JAX's older name for select_n (implemented)",
  device_put: "device transfer: tfjs moves data itself; copy (Identity) is implemented",
};

/** Table 5 (all linear primitives of JAX at the paper's writing), in its order. */
export const TABLE5 = [
  "add",
  "add_any",
  "all_gather",
  "all_to_all",
  "broadcast_in_dim",
  "call",
  "complex",
  "concatenate",
  "conj",
  "conv_general_dilated",
  "convert_element_type",
  "cumsum",
  "custom_lin",
  "custom_linear_solve",
  "device_put",
  "div",
  "dot_general",
  "dynamic_slice",
  "dynamic_update_slice",
  "fft",
  "gather",
  "imag",
  "linear_call",
  "mul",
  "named_call",
  "neg",
  "pad",
  "pdot",
  "ppermute",
  "psum",
  "real",
  "reduce_sum",
  "reduce_window_sum",
  "remat_call",
  "reshape",
  "rev",
  "scatter",
  "scatter-add",
  "scatter-mul",
  "select",
  "select_and_gather_add",
  "select_and_scatter_add",
  "sharding_constraint",
  "slice",
  "squeeze",
  "sub",
  "transpose",
  "triangular_solve",
  "while",
  "xla_call",
  "xla_pmap",
  "xmap",
  "zeros_like",
] as const;

/** Table 5's names that fast-ntk spells as JAX does today. */
const ALIAS: Record<string, PrimitiveName> = { "scatter-add": "scatter_add" };

export interface CoverageRow {
  primitive: string;
  implemented: boolean;
  structure: boolean;
  jacobian: boolean;
  view: boolean;
  kernels: string[];
  note: string;
}

/** The coverage table; `emitters` maps each primitive to the tfjs kernels seen emitting it. */
export function coverageRows(emitters: Map<string, Set<string>>): CoverageRow[] {
  const names = [
    ...TABLE5,
    ...Object.keys(RULES).filter((p) =>
      !TABLE5.includes(p as never) && !Object.values(ALIAS).includes(p as PrimitiveName)
    ),
  ];
  return names.map((name) => {
    const prim = (ALIAS[name] ?? name) as PrimitiveName;
    const rule = RULES[prim];
    return {
      primitive: name === prim ? name : `${name} (${prim})`,
      implemented: Boolean(rule),
      structure: Boolean(rule?.structure),
      jacobian: Boolean(rule?.jacobian),
      view: Boolean(rule?.view),
      kernels: [...(emitters.get(prim) ?? [])].sort(),
      note: rule ? (TABLE5.includes(name as never) ? "" : "not in Table 5") : NOT_REACHABLE[name] ?? "not implemented",
    };
  });
}

/** Linearizes every kernel test case and records which kernels emit which primitives. */
async function observeEmitters(): Promise<Map<string, Set<string>>> {
  const { ALL_CASES } = await import("../tests/kernels/cases/mod.ts");
  const { traceLinear } = await import("../adapters/trace.ts");
  const { disposeProgram } = await import("../src/core/linear_program.ts");
  const seen = new Map<string, Set<string>>();
  for (const c of ALL_CASES) {
    if (c.backends && !c.backends.includes("cpu")) continue;
    const p = c.params();
    const x = tf.zeros([1]);
    try {
      const lin = traceLinear((q) => c.fn(q), p, x);
      for (const e of lin.program.eqns) {
        const kernel = e.source.split(" ")[0];
        seen.set(e.prim, (seen.get(e.prim) ?? new Set()).add(kernel));
      }
      disposeProgram(lin.program);
      lin.output.dispose();
    } catch {
      // A case that checks an error path: nothing to record.
    } finally {
      tf.dispose([x, ...Object.values(p)]);
    }
  }
  return seen;
}

function render(rows: CoverageRow[]): string {
  const yes = (b: boolean) => (b ? "yes" : "—");
  const lines = [
    "| primitive | apply/transpose | structure | jacobian | view | tfjs kernels emitting it | note |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...rows.map((r) =>
      `| ${r.primitive} | ${yes(r.implemented)} | ${yes(r.structure)} | ${yes(r.jacobian)} | ${yes(r.view)} | ${
        r.kernels.join(", ") || "—"
      } | ${r.note} |`
    ),
  ];
  const impl = rows.filter((r) => r.implemented).length;
  const table5 = rows.filter((r) => TABLE5.includes(r.primitive.split(" ")[0] as never));
  const t5impl = table5.filter((r) => r.implemented).length;
  const t5struct = table5.filter((r) => r.structure).length;
  lines.push(
    "",
    `Table 5: ${table5.length} primitives — ${t5impl} implemented (all with structure and Jacobian rules: ${t5struct}), ` +
      `${table5.length - t5impl} not reachable from tfjs. fast-ntk's rule table: ${impl} primitives.`,
  );
  return lines.join("\n");
}

if (import.meta.main) {
  const { initBackend } = await import("../src/core/backend.ts");
  await initBackend("cpu");
  console.log(render(coverageRows(await observeEmitters())));
}
