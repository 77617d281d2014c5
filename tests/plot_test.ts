// The figures, parsed back as XML: cells from the embedded PNG at the right colours (0 exactly at
// the diverging map's neutral colour), ticks on both axes, block separators, every text inside the
// viewBox, sizes under 2 MB at 1000 × 1000, the spectrum's legend against numbers computed here, and
// loss curves that tell train from test without colour.
import assert from "node:assert/strict";
import {
  heatmapSvg,
  InvalidOptionError,
  kernelHeatmapSvg,
  lineChartSvg,
  lossCurveSvg,
  ShapeMismatchError,
  spectrumSvg,
} from "../mod.ts";
import { encodeIndexedPng } from "../src/core/png.ts";
import { all, byClass, crc32Slow, decodeIndexedPng, imagePng, num, parseSvg, texts, textsOutside } from "./_svg.ts";

// Colours stated by the colormaps' authors (ColorBrewer RdBu, matplotlib viridis).
const RDBU_NEUTRAL = [247, 247, 247], RDBU_RED_END = [103, 0, 31], RDBU_BLUE_END = [5, 48, 97];
const VIRIDIS_START = [68, 1, 84], VIRIDIS_END = [253, 231, 37];

/** The heatmap's cells image (not the colour bar) and the colour at cell (i, j) of a rows × cols matrix. */
function cells(svg: string, rows: number, cols: number) {
  const root = parseSvg(svg);
  const image = all(root, "image").find((e) => e.getAttribute("class") !== "colourbar")!;
  const png = imagePng(image);
  const at = (i: number, j: number) =>
    png.rgb(Math.floor(((j + 0.5) * png.width) / cols), Math.floor(((i + 0.5) * png.height) / rows));
  return { root, image, png, at };
}

Deno.test("heatmapSvg() colours signed data by RdBu centred at 0: 0 is the neutral colour although |min| ≠ |max|", () => {
  // min −1, max 5: the limits are ±5, so 5 is the red end, −1 a light blue, 0 the neutral colour.
  const data = [5, -1, 0, 2, 0, -1, 0.5, 1, 3];
  const { root, at } = cells(heatmapSvg(data, 3, 3), 3, 3);
  assert.deepEqual(at(0, 2), RDBU_NEUTRAL);
  assert.deepEqual(at(1, 1), RDBU_NEUTRAL);
  assert.deepEqual(at(0, 0), RDBU_RED_END);
  const [r, , b] = at(0, 1);
  assert.ok(b > r && at(0, 1).join() !== RDBU_BLUE_END.join(), `−1 is a light blue, got ${at(0, 1)}`);
  // Equal magnitudes, equal saturation: |−1| and |1| are equally far from white.
  const dist = (c: number[]) => Math.hypot(...c.map((v, k) => v - RDBU_NEUTRAL[k]));
  assert.ok(Math.abs(dist(at(0, 1)) - dist(at(2, 1))) < 25, `${at(0, 1)} vs ${at(2, 1)}`);
  assert.match(texts(root, "note").join(" "), /RdBu, centred at 0/);
});

Deno.test("heatmapSvg() colours data ≥ 0 by viridis from min to max, and writes values into a small kernel's cells", () => {
  const data = [1, 2, 3, 4, 5, 6, 7, 8, 9];
  const { root, image, at } = cells(heatmapSvg(data, 3, 3, { title: "3 × 3" }), 3, 3);
  assert.deepEqual(at(0, 0), VIRIDIS_START);
  assert.deepEqual(at(2, 2), VIRIDIS_END);
  // Rendered large enough: at least 40 px per cell, crisp.
  assert.ok(num(image, "width") >= 3 * 40, `${image.getAttribute("width")} px wide`);
  assert.match(image.getAttribute("style") ?? "", /pixelated/);
  assert.deepEqual(texts(root, "value"), data.map(String));
  assert.deepEqual(texts(root, "title"), ["3 × 3"]);
});

Deno.test("heatmapSvg() has tick labels on both axes and a colour bar with nice ticks", () => {
  const n = 100;
  const data = Float64Array.from({ length: n * n }, (_, k) => Math.floor(k / n) - (k % n)); // −99 … 99
  const root = parseSvg(heatmapSvg(data, n, n));
  for (const axis of ["xtick", "ytick"]) {
    const labels = texts(root, axis).map(Number);
    assert.ok(labels.length >= 4, `${axis}: ${labels}`);
    assert.ok(labels.every((v, i) => Number.isInteger(v) && v >= 0 && v < n && (i === 0 || v > labels[i - 1])));
  }
  const bar = texts(root, "cbtick").map(Number);
  assert.ok(bar.includes(0) && bar.length >= 4, `${bar}`);
  const steps = bar.slice(1).map((v, i) => v - bar[i]);
  assert.ok(steps.every((s) => s === steps[0]) && /^[125]0*$/.test(String(steps[0])), `nice steps: ${steps}`);
  assert.ok(bar[0] >= -99 && bar.at(-1)! <= 99);
  assert.deepEqual(textsOutside(root), []);
});

Deno.test("heatmapSvg() keeps a 2 × 1000 kernel readable: its short side stretched to 120 px, not a sliver", () => {
  const { image, png, at } = cells(
    heatmapSvg(Float64Array.from({ length: 2000 }, (_, k) => (k < 1000 ? 1 : 2)), 2, 1000),
    2,
    1000,
  );
  assert.ok(
    num(image, "height") >= 120 && num(image, "width") <= 500,
    `${image.getAttribute("width")} × ${image.getAttribute("height")}`,
  );
  assert.deepEqual([png.width, png.height], [1000, 120]);
  assert.deepEqual([at(0, 500), at(1, 500)], [VIRIDIS_START, VIRIDIS_END]);
});

Deno.test("kernelHeatmapSvg() draws a full kernel example-major with N − 1 separators each way", () => {
  const [n, o] = [5, 3];
  const shape = [n, n, o, o];
  // K[i, j, a, b] distinct and signed, so the layout is checked cell by cell.
  const value = (i: number, j: number, a: number, b: number) => (i - j) * 10 + (a - b);
  const data = Float64Array.from({ length: n * n * o * o }, (_, q) => {
    const [i, j, a, b] = [Math.floor(q / (n * o * o)), Math.floor(q / (o * o)) % n, Math.floor(q / o) % o, q % o];
    return value(i, j, a, b);
  });
  const svg = kernelHeatmapSvg(data, shape, { title: "full" });
  const { root, at } = cells(svg, n * o, n * o);
  const lines = byClass(root, "line", "separator");
  const across = lines.filter((l) => num(l, "y1") === num(l, "y2")),
    down = lines.filter((l) => num(l, "x1") === num(l, "x2"));
  assert.equal(across.length, n - 1);
  assert.equal(down.length, n - 1);
  const ys = across.map((l) => num(l, "y1"));
  assert.ok(ys.every((y, k) => Math.abs(y - ((k + 1) * ys[0])) < 0.2), `evenly spaced: ${ys}`);
  assert.deepEqual(texts(root, "ytick"), ["0", "1", "2", "3", "4"]);
  assert.deepEqual(texts(root, "xtick"), ["0", "1", "2", "3", "4"]);
  assert.match(texts(root, "ylabel")[0], /example i, then output a \(row i·3 \+ a/);
  // Row i·O + a, column j·O + b holds K[i, j, a, b]: the largest value sits at i = 4, j = 0, a = 2, b = 0.
  assert.deepEqual(at(4 * o + 2, 0 * o + 0), RDBU_RED_END);
  assert.deepEqual(at(0 * o + 0, 4 * o + 2), RDBU_BLUE_END);
  assert.deepEqual(at(3 * o + 1, 3 * o + 1), RDBU_NEUTRAL);
  assert.deepEqual(textsOutside(root), []);
});

Deno.test("every text of every figure lies inside its viewBox, long titles and labels included", () => {
  const long = "A title much longer than the heatmap is wide, to see the viewBox widen for it: ".repeat(2);
  const t = Array.from({ length: 30 }, (_, i) => 10 ** (i / 5 - 2));
  const figures = {
    "3×3": heatmapSvg([1, -2, 3, -4, 5, -6, 7, -8, 9], 3, 3, { title: long, rowsLabel: long, colsLabel: long }),
    "1×1": heatmapSvg([0], 1, 1),
    "8×8 with spectrum": heatmapSvg(Float64Array.from({ length: 64 }, (_, k) => k), 8, 8, {
      spectrum: [1e4, 10, 1, 1e-3, 0],
    }),
    "full with spectrum": kernelHeatmapSvg(new Float64Array(4 * 4 * 10 * 10).fill(1), [4, 4, 10, 10], {
      title: long,
      spectrum: Array.from({ length: 40 }, (_, i) => 2 ** -i),
    }),
    "600×600": heatmapSvg(new Float64Array(600 * 600).map((_, k) => k % 7), 600, 600),
    spectrum: spectrumSvg([3, 2, 1], { title: long }),
    loss: lossCurveSvg({ t, train: t.map((s) => (s > 10 ? 0 : Math.exp(-s))), test: t.map(() => 0.5) }, {
      title: long,
    }),
    chart: lineChartSvg([{ label: long, points: [[-5, 1e6], [5, -1e6]] }], { xLabel: long, yLabel: long }),
  };
  for (const [name, svg] of Object.entries(figures)) {
    assert.deepEqual(textsOutside(parseSvg(svg)), [], name);
  }
});

Deno.test("heatmapSvg() keeps every size up to 1000 × 1000 under 2 MB, and mean-pools beyond maxCells, saying so", () => {
  const n = 1000;
  let seed = 1;
  const noise = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1; // incompressible
  const traced = Float64Array.from({ length: n * n }, noise);
  const svg = heatmapSvg(traced, n, n);
  assert.ok(svg.length <= 2e6, `${(svg.length / 1e6).toFixed(2)} MB`);
  const { png } = cells(svg, n, n);
  assert.deepEqual([png.width, png.height], [n, n], "every entry is a pixel");
  // A full kernel of 200 examples × 5 outputs: 1000 × 1000 with 199 separators each way.
  const full = kernelHeatmapSvg(Float64Array.from({ length: n * n }, noise), [200, 200, 5, 5]);
  assert.ok(full.length <= 2e6, `${(full.length / 1e6).toFixed(2)} MB`);
  assert.equal(byClass(parseSvg(full), "line", "separator").length, 2 * 199);
  // 300 examples × 4 outputs, pooled by 2 to 600 × 600 on 480 px: blocks of 1.6 px get no lines, but a note.
  const dense = parseSvg(kernelHeatmapSvg(new Float64Array(1200 * 1200).fill(1), [300, 300, 4, 4]));
  assert.equal(byClass(dense, "line", "separator").length, 0);
  assert.match(texts(dense, "note").join(" "), /blocks of 4 × 4 too small for separating lines/);

  // 40 × 40 pooled to 10 × 10 by 4 × 4 means: a block of 0 and 2 averages to 1.
  const m = 40,
    small = Float64Array.from({ length: m * m }, (_, k) => (Math.floor(k / m) < 4 && k % m < 4 ? (k % 2) * 2 : 5));
  const pooled = heatmapSvg(small, m, m, { maxCells: 10 });
  const root = parseSvg(pooled);
  assert.match(texts(root, "note").join(" "), /each cell: mean of 4 × 4 entries \(40 × 40 shown as 10 × 10\)/);
  const { png: p10, at } = cells(pooled, 10, 10);
  assert.equal(p10.width % 10, 0);
  // viridis over [1, 5]: the block's mean, 1, is the low end.
  assert.deepEqual(at(0, 0), VIRIDIS_START);
  assert.deepEqual(at(5, 5), VIRIDIS_END);
});

Deno.test("spectrumSvg() draws log λ against the index with labelled axes, and its legend matches κ and the effective rank", () => {
  const values = [50, 20, 5, 1, 0.3, 0.02];
  const root = parseSvg(spectrumSvg(values));
  assert.match(texts(root, "xlabel")[0], /index/);
  assert.match(texts(root, "ylabel")[0], /eigenvalue λᵢ \(log scale\)/);
  assert.deepEqual(texts(root, "ytick"), ["10⁻²", "10⁻¹", "10⁰", "10¹", "10²"]);
  assert.ok(texts(root, "xtick").length >= 3);
  const dots = all(root, "circle").map((c) => [num(c, "cx"), num(c, "cy")]);
  assert.equal(dots.length, values.length);
  // log10 λ is linear in y: the slope between any two dots is the same per decade.
  const perDecade = (a: number, b: number) => (dots[b][1] - dots[a][1]) / Math.log10(values[a] / values[b]);
  for (let k = 1; k < values.length - 1; k++) assert.ok(Math.abs(perDecade(0, k) - perDecade(0, k + 1)) < 0.2);
  // Independently: κ = λmax / λmin; effective rank exp(−Σ p log p), p = λ / Σλ.
  const sum = values.reduce((a, b) => a + b);
  const erank = Math.exp(-values.reduce((h, v) => h + (v / sum) * Math.log(v / sum), 0));
  const legend = texts(root, "legend").join("\n");
  const kappa = Number(/κ = λ₁\/λₙ = (\S+)/.exec(legend)![1]);
  const shown = Number(/effective rank exp\(H\(λ\/Σλ\)\) = (\S+) of 6/.exec(legend)![1]);
  assert.ok(Math.abs(kappa / 2500 - 1) < 5e-4, `κ ${kappa}`);
  assert.ok(Math.abs(shown / erank - 1) < 5e-4, `effective rank ${shown} vs ${erank}`);
  const ratio = Number(/\(Σλ\)²\/Σλ² = (\S+)/.exec(legend)![1]);
  const want = sum ** 2 / values.reduce((a, v) => a + v * v, 0);
  assert.ok(Math.abs(ratio / want - 1) < 5e-4, `participation ratio ${ratio} vs ${want}`);
  assert.deepEqual(textsOutside(root), []);
});

Deno.test("spectrumSvg() shows the numbers it is given, and counts eigenvalues ≤ 0", () => {
  const root = parseSvg(spectrumSvg({ eigenvalues: [4, 1, 0, -1e-7], conditionNumber: Infinity, effectiveRank: 1.5 }));
  const legend = texts(root, "legend").join("\n");
  assert.match(legend, /κ = λ₁\/λₙ = ∞/);
  assert.match(legend, /= 1\.5 of 4/);
  assert.match(legend, /2 eigenvalues ≤ 0 not shown/);
  assert.equal(all(root, "circle").length, 2);
});

Deno.test("lossCurveSvg() has labelled log axes, draws zero losses at a stated floor, and tells train from test without colour", () => {
  const t = [0.01, 0.1, 1, 10, 100, 1000];
  const train = [1, 0.9, 0.4, 1e-3, 1e-7, 0], test = [1.1, 1, 0.7, 0.5, 0.5, 0.5];
  const root = parseSvg(lossCurveSvg({ t, train, test }));
  assert.match(texts(root, "xlabel")[0], /time t \(log scale\)/);
  assert.match(texts(root, "ylabel")[0], /loss \(log scale\)/);
  assert.deepEqual(texts(root, "xtick"), ["10⁻²", "10⁻¹", "10⁰", "10¹", "10²", "10³"]);
  assert.ok(texts(root, "ytick").includes("10⁰") && texts(root, "ytick").includes("10⁻⁸"), `${texts(root, "ytick")}`);
  // The zero is drawn at 1e-8 (a decade below the smallest positive loss's decade), marked, and said.
  assert.match(texts(root, "note").join(" "), /1 value below 1e-8 \(e\.g\. 0\) drawn at it/);
  const [trainPath, testPath] = byClass(root, "path", "series");
  const lastY = Number(trainPath.getAttribute("d")!.split(/[ ,]/).at(-1));
  const bottom = Math.max(
    ...all(root, "rect").filter((r) => r.getAttribute("fill") === "none").map((r) => num(r, "height")),
  );
  assert.ok(Math.abs(lastY - bottom) < 0.2, `the clipped zero sits on the floor (${lastY} vs ${bottom})`);
  assert.equal(byClass(root, "path", "clipped").length, 1);
  // Line style and marker differ: solid with filled circles, dashed with open squares.
  assert.equal(trainPath.getAttribute("stroke-dasharray"), null);
  assert.ok(testPath.getAttribute("stroke-dasharray"));
  assert.ok(all(root, "circle").some((c) => c.getAttribute("fill") !== "white"));
  assert.ok(all(root, "rect").some((r) => r.getAttribute("fill") === "white" && r.getAttribute("stroke")));
  assert.deepEqual(texts(root, "legend"), ["train", "test"]);
  assert.deepEqual(textsOutside(root), []);
});

Deno.test("lineChartSvg() leaves out x ≤ 0 on a log axis and says how many", () => {
  const root = parseSvg(lineChartSvg([{ label: "a", points: [[0, 1], [1, 2], [10, 3]] }], { logX: true }));
  assert.match(texts(root, "note").join(" "), /1 point with x ≤ 0 or not finite left out/);
  assert.equal(byClass(root, "path", "series")[0].getAttribute("d")!.split("L").length, 2);
});

Deno.test("heatmapSvg() and kernelHeatmapSvg() refuse bad arguments with one sentence naming them, and show NaN as grey", () => {
  assert.throws(() => heatmapSvg([1, 2, 3], 2, 2), (e) => e instanceof ShapeMismatchError && /data/.test(e.message));
  assert.throws(() => heatmapSvg([], 0, 0), (e) => e instanceof InvalidOptionError && /rows/.test(e.message));
  assert.throws(() => heatmapSvg([1, 2], 1, 2, { maxCells: 0 }), InvalidOptionError);
  assert.throws(
    () => heatmapSvg([1, 2, 3, 4, 5, 6], 2, 3, { block: [2, 2] }),
    (e) => e instanceof InvalidOptionError && /block/.test(e.message),
  );
  assert.throws(
    () => kernelHeatmapSvg([1, 2], [2, 1, 1]),
    (e) => e instanceof ShapeMismatchError && /shape/.test(e.message),
  );
  assert.throws(() => kernelHeatmapSvg([1, 2], [2, 2]), ShapeMismatchError);
  // NaN and ±Infinity are not errors in a figure: grey cells, counted in a note.
  const { root, at } = cells(heatmapSvg([NaN, 1, 2, Infinity], 2, 2), 2, 2);
  assert.deepEqual(at(0, 0), [160, 160, 160]);
  assert.deepEqual(at(1, 0), VIRIDIS_END);
  assert.match(texts(root, "note").join(" "), /grey: 2 cells with NaN or ±Infinity/);
});

Deno.test("encodeIndexedPng() writes a PNG that decodes to its indices and palette, with valid CRCs", () => {
  const [w, h] = [7, 3];
  const indices = Uint8Array.from({ length: w * h }, (_, k) => k % 4);
  const palette = Uint8Array.from([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255]);
  const png = decodeIndexedPng(encodeIndexedPng(indices, w, h, palette));
  assert.deepEqual([png.width, png.height], [w, h]);
  assert.deepEqual([...png.indices], [...indices]);
  assert.deepEqual([...png.palette], [...palette]);
  assert.equal(crc32Slow(new TextEncoder().encode("IEND")), 0xae426082);
});
