// The notebook tour runs top to bottom without Jupyter (its cells assert their own numbers:
// methods agree, Θ·v matches the kernel, gradient descent lands on the closed form), shows its
// three figures, and frees every tensor it made.
import assert from "node:assert/strict";
import { runNotebook } from "../../examples/run_notebook.ts";

Deno.test("examples/ntk_tour.ipynb runs top to bottom with its figures", async () => {
  const path = new URL("../../examples/ntk_tour.ipynb", import.meta.url).pathname;
  const { cells, outputs } = await runNotebook(path, false);
  assert.ok(cells >= 8, `${cells} code cells`);
  type Out = { output_type: string; text?: string; data?: Record<string, string> };
  const all = (outputs.flat().filter(Boolean)) as Out[];
  const svgs = all.filter((o) => o.output_type === "display_data" && o.data?.["image/svg+xml"]?.startsWith("<svg"));
  assert.equal(svgs.length, 2, "the heatmap with its spectrum, and the loss curves");
  assert.match(svgs[0].data!["image/svg+xml"], /log10 λ|eigenvalue/i);
  const text = all.filter((o) => o.output_type === "stream").map((o) => o.text).join("");
  assert.match(text, /structured vs jacobian: max \|ΔK\| \/ max \|K\| = /);
  assert.match(text, /tensors left: 0\n/);
});
