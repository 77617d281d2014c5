// SVG heatmaps: one cell per entry up to a size, block means beyond, colours by value.
import assert from "node:assert/strict";
import { colour, heatmapSvg, lineChartSvg } from "../src/core/plot.ts";

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

Deno.test("lineChartSvg() maps the extreme points to the plot's corners and leaves out what log axes cannot show", () => {
  const svg = lineChartSvg([
    { label: "train", points: [[1, 10], [10, 1], [100, 0.1]] },
    { label: "test", points: [[0, 5], [10, 2], [100, -1]], dashed: true },
  ], { title: "loss", logX: true, logY: true });
  const paths = [...svg.matchAll(/<path d="([^"]+)"/g)].map((m) => m[1]);
  assert.equal(paths.length, 2);
  // Plot box: x 70…530, y 40…300. train spans both log ranges: corner to corner.
  assert.equal(paths[0], "M70.0,40.0 L300.0,170.0 L530.0,300.0");
  // test keeps only (10, 2): x = 0 and y = −1 have no logarithm.
  assert.equal(paths[1].split(" ").length, 1);
  assert.match(svg, /stroke-dasharray/);
  assert.match(svg, />train</);
  assert.match(svg, />test</);
});
