// SVG heatmaps: one cell per entry up to a size, block means beyond, colours by value.
import assert from "node:assert/strict";
import { colour, heatmapSvg } from "../src/plot.ts";

Deno.test("heatmapSvg() draws one cell per entry with the extreme colours at min and max", () => {
  const svg = heatmapSvg([0, 1, 2, 3, 4, 5], 2, 3, { title: "K" });
  assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.ok(svg.trim().endsWith("</svg>"));
  const cells = svg.match(/<rect x="\d+" y="\d+" width="\d+" height="\d+" fill="rgb/g) ?? [];
  assert.equal(cells.length, 6);
  assert.ok(svg.includes(`fill="${colour(0)}"`) && svg.includes(`fill="${colour(1)}"`));
  assert.match(svg, />K</);
});

Deno.test("heatmapSvg() block-averages large matrices", () => {
  const n = 400;
  const svg = heatmapSvg(Float64Array.from({ length: n * n }, (_, i) => i % n), n, n, { maxCells: 100 });
  const cells = svg.match(/<rect x="\d+" y="\d+" width="\d+" height="\d+" fill="rgb/g) ?? [];
  assert.equal(cells.length, 100 * 100);
  assert.match(svg, /block means of 4×4/);
});
