/**
 * Runs a Deno Jupyter notebook's code cells top to bottom without Jupyter — one module, cells in
 * order, `Deno.jupyter.display` and `console.log` captured per cell — so CI can execute the
 * notebook and it cannot rot.
 *
 *   deno run -A examples/run_notebook.ts examples/ntk_tour.ipynb [--write]
 *
 * `--write` stores the captured outputs in the notebook (as `deno jupyter` would), so it reads
 * with its figures on any viewer. Exits non-zero when a cell throws.
 * @module
 */
import { parseArgs } from "node:util";
import { dirname, resolve } from "node:path";

interface Cell {
  cell_type: "code" | "markdown";
  source: string | string[];
  outputs?: unknown[];
  execution_count?: number | null;
  metadata: Record<string, unknown>;
}

/** What the module prepends: captures per cell, and a stand-in for `Deno.jupyter`. */
const PRELUDE = `
const __outputs = [];
let __cell = -1;
const __push = (o) => (__outputs[__cell] ??= []).push(o);
const __log = console.log.bind(console);
console.log = (...args) => {
  const text = args.map((a) => (typeof a === "string" ? a : Deno.inspect(a))).join(" ") + "\\n";
  __push({ output_type: "stream", name: "stdout", text });
  __log(...args);
};
// Outside \`deno jupyter\`, reading Deno.jupyter throws; assigning replaces it.
Deno.jupyter = {
  async display(bundle, options) {
    const data = options?.raw ? bundle : { "text/plain": Deno.inspect(bundle) };
    __push({ output_type: "display_data", data, metadata: {} });
    __log("[display " + Object.keys(data).join(", ") + "]");
  },
};
globalThis.__nb = {
  cell(i) { __cell = i; },
  async finish(path) { await Deno.writeTextFile(path, JSON.stringify(__outputs)); },
};
`;

const text = (s: string | string[]) => (Array.isArray(s) ? s.join("") : s);

export async function runNotebook(path: string, write: boolean): Promise<{ cells: number; outputs: unknown[][] }> {
  const nb = JSON.parse(await Deno.readTextFile(path)) as { cells: Cell[] };
  const code = nb.cells.map((c, i) => [c, i] as const).filter(([c]) => c.cell_type === "code");
  const body = code.map(([c, i]) => `globalThis.__nb.cell(${i});\n${text(c.source)}\n`).join("\n");
  // Beside the notebook, so relative imports resolve as in the Jupyter kernel (cwd = its folder).
  const dir = dirname(resolve(path));
  const module = await Deno.makeTempFile({ dir, prefix: ".run_", suffix: ".ts" });
  const captured = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await Deno.writeTextFile(
      module,
      `${PRELUDE}\n${body}\nawait globalThis.__nb.finish(${JSON.stringify(captured)});\n`,
    );
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-check", module],
      cwd: dir,
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    if (r.code !== 0) throw new Error(`${path}: a cell failed (exit code ${r.code})`);
    const outputs = JSON.parse(await Deno.readTextFile(captured)) as unknown[][];
    if (write) {
      let n = 0;
      nb.cells.forEach((c, i) => {
        if (c.cell_type !== "code") return;
        c.outputs = outputs[i] ?? [];
        c.execution_count = ++n;
      });
      await Deno.writeTextFile(path, JSON.stringify(nb, null, 1) + "\n");
    }
    return { cells: code.length, outputs };
  } finally {
    await Deno.remove(module).catch(() => {});
    await Deno.remove(captured).catch(() => {});
  }
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: { write: { type: "boolean", default: false } },
  });
  const path = positionals[0] ?? new URL("./ntk_tour.ipynb", import.meta.url).pathname;
  try {
    const { cells } = await runNotebook(path, values.write);
    console.error(`ran ${cells} code cells of ${path}${values.write ? " (outputs written)" : ""}`);
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
