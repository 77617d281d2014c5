/**
 * SVG figures of kernels: heatmaps (cells as one embedded PNG, tick labels on both axes, example
 * blocks, a colour bar with ticks), spectra and line charts. Dependency-free apart from `node:zlib`.
 * @module
 */
import { type ColormapName, type ColourScale, colourScale, NEUTRAL } from "./colormap.ts";
import { InvalidOptionError, ShapeMismatchError } from "./errors.ts";
import { drawSpectrum, type SpectrumData, spectrumPanelWidth } from "./plot_lines.ts";
import { f1, Figure, legendNumber, niceTicks, textWidth, tickLabel } from "./plot_svg.ts";
import { encodeIndexedPng, pngDataUri } from "./png.ts";

export { type ColormapName, NEUTRAL };

/** Options of `heatmapSvg`. */
export interface HeatmapOptions {
  /** Above the heatmap. @default "kernel" */
  title?: string;
  /** The rows' axis title. @default "row i (N)", or the blocks' when `block` is given */
  rowsLabel?: string;
  /** The columns' axis title. @default "column j (N)", or the blocks' when `block` is given */
  colsLabel?: string;
  /**
   * Rows and columns per block (e.g. one example's outputs in a full kernel): lines separate the
   * blocks and the ticks count blocks, not rows.
   */
  block?: [rows: number, cols: number];
  /** What a block tick counts. @default "example" */
  blockName?: string;
  /** Largest number of cells drawn per side; bigger matrices are mean-pooled, and the title says so. @default 1024 */
  maxCells?: number;
  /** Eigenvalues (descending), or `ntkSpectrum`'s result, to draw in a panel right of the heatmap. */
  spectrum?: ArrayLike<number> | SpectrumData;
  /** The colormap. @default "RdBu" (centred at 0) when any value is negative, else "viridis" */
  colormap?: ColormapName;
  /** Write each value in its cell. @default when both sides have at most 12 cells */
  annotate?: boolean;
}

/** Mean-pools a row-major matrix by `[pr, pc]` (edge blocks may be partial). */
function meanPool(data: ArrayLike<number>, rows: number, cols: number, pr: number, pc: number) {
  const [r, c] = [Math.ceil(rows / pr), Math.ceil(cols / pc)];
  if (pr === 1 && pc === 1) return { data: Float64Array.from(data), rows, cols };
  const sum = new Float64Array(r * c), count = new Float64Array(r * c);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const k = Math.floor(i / pr) * c + Math.floor(j / pc);
      sum[k] += data[i * cols + j], count[k]++;
    }
  }
  return { data: sum.map((s, k) => s / count[k]), rows: r, cols: c };
}

/** Checks the matrix and the options; throws naming the argument. */
function checkHeatmap(data: ArrayLike<number>, rows: number, cols: number, o: HeatmapOptions): void {
  for (const [name, v] of [["rows", rows], ["cols", cols]] as const) {
    if (!(Number.isInteger(v) && v >= 1)) throw new InvalidOptionError(name, v, ["a whole number ≥ 1"]);
  }
  if (data.length !== rows * cols) {
    throw new ShapeMismatchError("data", data.length, `expected rows × cols = ${rows * cols} values`);
  }
  const max = o.maxCells ?? 1024;
  if (!(Number.isInteger(max) && max >= 1)) throw new InvalidOptionError("maxCells", max, ["a whole number ≥ 1"]);
  const b = o.block;
  if (
    b && !(b.length === 2 && b.every((v) => Number.isInteger(v) && v >= 1) && rows % b[0] === 0 && cols % b[1] === 0)
  ) {
    throw new InvalidOptionError("block", b, [`[r, c] of whole numbers dividing rows ${rows} and cols ${cols}`]);
  }
}

/** Display geometry: pooling, the pooled size, and px per cell across (cx) and down (cy). */
function layout(rows: number, cols: number, maxCells: number) {
  const [pr, pc] = [Math.ceil(rows / maxCells), Math.ceil(cols / maxCells)];
  const [r, c] = [Math.ceil(rows / pr), Math.ceil(cols / pc)];
  // Square cells of a whole number of pixels, at most 64 (a 3 × 3 kernel is 192 px), up to 480
  // per side; beyond, 480 px shows more cells than pixels and the viewer averages them. A side
  // under 120 px (a 2 × 500 kernel) gets taller or wider cells instead of a sliver.
  const n = Math.max(r, c);
  const cell = n <= 480 ? Math.min(64, Math.floor(480 / n)) : 480 / n;
  const stretch = (k: number) => (k * cell < 120 ? Math.min(64, Math.max(Math.ceil(120 / k), Math.ceil(cell))) : cell);
  return { pr, pc, r, c, cx: stretch(c), cy: stretch(r) };
}

/** The cells as one indexed PNG, each cell `sx × sy` pixels. */
function cellsImage(m: { data: Float64Array; rows: number; cols: number }, scale: ColourScale, sx: number, sy: number) {
  const [w, h] = [m.cols * sx, m.rows * sy];
  const px = new Uint8Array(w * h);
  for (let i = 0; i < m.rows; i++) {
    for (let j = 0; j < m.cols; j++) {
      const k = scale.index(m.data[i * m.cols + j]);
      for (let a = 0; a < sy; a++) px.fill(k, (i * sy + a) * w + j * sx, (i * sy + a) * w + (j + 1) * sx);
    }
  }
  return pngDataUri(encodeIndexedPng(px, w, h, scale.palette));
}

/** Index ticks along one side: whole numbers 0 … n − 1, about `count`, as display offsets of centres. */
function indexTicks(n: number, per: number, unit: number, count = 6): { at: number; label: string }[] {
  const values = n <= count + 1 ? Array.from({ length: n }, (_, i) => i) : niceTicks(0, n - 1, count).values;
  return values.filter(Number.isInteger).map((i) => ({ at: ((i + 0.5) * per) * unit, label: String(i) }));
}

/**
 * An SVG heatmap of a `rows × cols` row-major matrix: cells as one embedded PNG, index ticks on
 * both axes, a colour bar with ticks, optional block separators (a full kernel's examples) and a
 * spectrum panel. Signed data get the diverging RdBu colormap centred at 0 (0 is exactly its
 * neutral colour, whatever the range), data ≥ 0 the perceptually uniform viridis. Matrices over
 * `maxCells` per side are mean-pooled, stated in the figure; every size up to 1000 × 1000 stays
 * under 2 MB. The viewBox is sized from the text extents, so no title or label is clipped.
 *
 * @param data the matrix, row-major
 * @param rows its number of rows
 * @param cols its number of columns
 * @param o titles, blocks, colormap, spectrum
 * @returns the SVG document
 * @throws {InvalidOptionError} for rows, cols, maxCells or block that are not whole numbers that fit
 * @throws {ShapeMismatchError} when `data` does not hold rows × cols values
 *
 * @example Usage
 * ```ts
 * // deno run --allow-read
 * import assert from "node:assert/strict";
 * import { heatmapSvg } from "@fast-ntk/fast-ntk";
 * const svg = heatmapSvg([2, -1, -1, 2], 2, 2, { title: "K" });
 * assert.match(svg, /<image /); // the cells, as one PNG
 * assert.match(svg, />K</);
 * ```
 */
export function heatmapSvg(data: ArrayLike<number>, rows: number, cols: number, o: HeatmapOptions = {}): string {
  checkHeatmap(data, rows, cols, o);
  const g = layout(rows, cols, o.maxCells ?? 1024);
  const m = meanPool(data, rows, cols, g.pr, g.pc);
  const scale = colourScale(m.data, o.colormap);
  const [w, h] = [g.c * g.cx, g.r * g.cy];
  const fig = new Figure();
  // Whole pixels per cell: the PNG holds them, crisp. Fewer: one pixel per cell, smoothed by the viewer.
  const [sx, sy] = [Number.isInteger(g.cx) ? g.cx : 1, Number.isInteger(g.cy) ? g.cy : 1];
  const pixelated = sx === g.cx && sy === g.cy ? ` style="image-rendering:pixelated"` : "";
  fig.add(
    `<image x="0" y="0" width="${f1(w)}" height="${f1(h)}" preserveAspectRatio="none"${pixelated} ` +
      `href="${cellsImage(m, scale, sx, sy)}"/>`,
    { x0: 0, y0: 0, x1: w, y1: h },
  );
  const blockNote = o.block ? drawSeparators(fig, rows, cols, o.block, g, scale.diverging) : "";
  fig.add(`<rect width="${f1(w)}" height="${f1(h)}" fill="none" stroke="black"/>`, { x0: 0, y0: 0, x1: w, y1: h });
  if (o.annotate ?? (g.r <= 12 && g.c <= 12 && g.pr === 1 && g.pc === 1)) annotate(fig, m, scale, g);
  drawHeatmapAxes(fig, rows, cols, o, g);
  const barRight = drawColourBar(fig, scale, w + 24, h);
  const nonFinite = m.data.reduce((n, v) => n + (Number.isFinite(v) ? 0 : 1), 0);
  const notes = [
    ...(blockNote ? [blockNote] : []),
    ...(nonFinite ? [`grey: ${nonFinite} cell${nonFinite === 1 ? "" : "s"} with NaN or ±Infinity`] : []),
  ];
  drawTitles(fig, o, rows, cols, g, scale, notes);
  if (o.spectrum) {
    const s = "eigenvalues" in o.spectrum ? o.spectrum : { eigenvalues: o.spectrum };
    drawSpectrum(fig, s, barRight + 100, 0, spectrumPanelWidth(s), Math.max(h, 240));
  }
  return fig.svg();
}

type Layout = ReturnType<typeof layout>;

/** Lines between blocks: N − 1 across and M − 1 down for N × M blocks; or a note why there are none. */
function drawSeparators(fig: Figure, rows: number, cols: number, b: [number, number], g: Layout, dark: boolean) {
  const [w, h] = [g.c * g.cx, g.r * g.cy];
  // Blocks under 2 px would be all lines: say so instead. Thinner lines between small blocks.
  const blockPx = Math.min((b[0] / g.pr) * g.cy, (b[1] / g.pc) * g.cx);
  if (blockPx < 2) return `blocks of ${b[0]} × ${b[1]} too small for separating lines`;
  const width = Math.round(Math.min(1, blockPx / 6) * 100) / 100;
  const stroke = dark ? "black" : "white", extra = ` class="separator" stroke-width="${width}"`;
  for (let k = 1; k < rows / b[0]; k++) {
    fig.line(0, (k * b[0] / g.pr) * g.cy, w, (k * b[0] / g.pr) * g.cy, stroke, extra);
  }
  for (let k = 1; k < cols / b[1]; k++) {
    fig.line((k * b[1] / g.pc) * g.cx, 0, (k * b[1] / g.pc) * g.cx, h, stroke, extra);
  }
  return "";
}

/** Each value in its cell, black or white by the cell's lightness. */
function annotate(
  fig: Figure,
  m: { data: Float64Array; rows: number; cols: number },
  scale: ColourScale,
  g: Layout,
) {
  const labels = Array.from(m.data, (v) => legendNumber(Number(v.toPrecision(3))));
  const longest = Math.max(...labels.map((l) => l.length));
  const size = Math.min(12, Math.floor((g.cx - 6) / (longest * 0.65)), Math.floor(g.cy / 2));
  if (size < 7) return;
  labels.forEach((label, k) => {
    const [i, j] = [Math.floor(k / m.cols), k % m.cols];
    const p = scale.palette, c = 3 * scale.index(m.data[k]);
    const light = 0.299 * p[c] + 0.587 * p[c + 1] + 0.114 * p[c + 2] > 140;
    fig.text((j + 0.5) * g.cx, (i + 0.5) * g.cy + size * 0.35, label, {
      size,
      anchor: "middle",
      fill: light ? "black" : "white",
      role: "value",
    });
  });
}

/** Ticks and tick labels on both axes: index ticks, or block (example) ticks at block centres. */
function drawHeatmapAxes(fig: Figure, rows: number, cols: number, o: HeatmapOptions, g: Layout) {
  const [w, h] = [g.c * g.cx, g.r * g.cy];
  // About one labelled tick per 50 px, 8 at most.
  const side = (n: number, pool: number, per: number, unit: number, px: number) =>
    indexTicks(n / per, per / pool, unit, Math.max(2, Math.min(8, Math.floor(px / 50))));
  const rowTicks = side(rows, g.pr, o.block?.[0] ?? 1, g.cy, h);
  const colTicks = side(cols, g.pc, o.block?.[1] ?? 1, g.cx, w);
  for (const t of colTicks) {
    fig.line(t.at, h, t.at, h + 5);
    fig.text(t.at, h + 18, t.label, { anchor: "middle", role: "xtick" });
  }
  for (const t of rowTicks) {
    fig.line(-5, t.at, 0, t.at);
    fig.text(-8, t.at + 4, t.label, { anchor: "end", role: "ytick" });
  }
  const labelWidth = Math.max(...rowTicks.map((t) => textWidth(t.label, 12)));
  const unit = o.blockName ?? "example";
  const [rowsLabel, colsLabel] = o.block
    ? [
      `${unit} (${rows / o.block[0]} blocks of ${o.block[0]} rows)`,
      `${unit} (${cols / o.block[1]} blocks of ${o.block[1]} columns)`,
    ]
    : [`row i (${rows})`, `column j (${cols})`];
  fig.text(w / 2, h + 38, o.colsLabel ?? colsLabel, { anchor: "middle", size: 13, role: "xlabel" });
  fig.text(-labelWidth - 18, h / 2, o.rowsLabel ?? rowsLabel, {
    anchor: "middle",
    size: 13,
    vertical: true,
    role: "ylabel",
  });
}

/** The colour bar from the data's min to max at x, with nice ticks; returns its right edge. */
function drawColourBar(fig: Figure, scale: ColourScale, x: number, h: number): number {
  const barH = Math.max(h, 120), steps = 256;
  const idx = new Uint8Array(steps);
  const at = (v: number) => (scale.hi > scale.lo ? barH * (scale.hi - v) / (scale.hi - scale.lo) : barH / 2);
  for (let k = 0; k < steps; k++) idx[k] = scale.index(scale.hi - ((k + 0.5) / steps) * (scale.hi - scale.lo));
  const uri = pngDataUri(encodeIndexedPng(idx, 1, steps, scale.palette));
  fig.add(
    `<image class="colourbar" x="${x}" y="0" width="16" height="${barH}" preserveAspectRatio="none" href="${uri}"/>`,
    { x0: x, y0: 0, x1: x + 16, y1: barH },
  );
  fig.add(`<rect x="${x}" width="16" height="${barH}" fill="none" stroke="black"/>`, {
    x0: x,
    y0: 0,
    x1: x + 16,
    y1: barH,
  });
  const { values, step } = scale.hi > scale.lo
    ? niceTicks(scale.lo, scale.hi, Math.max(3, Math.round(barH / 60)))
    : { values: [scale.lo], step: 1 };
  let right = x + 16;
  for (const v of values) {
    fig.line(x + 16, at(v), x + 21, at(v));
    right = Math.max(right, fig.text(x + 24, at(v) + 4, tickLabel(v, step), { role: "cbtick" }).x1);
  }
  return right;
}

/** The title, and a note on pooling and the colormap under it. */
function drawTitles(
  fig: Figure,
  o: HeatmapOptions,
  rows: number,
  cols: number,
  g: Layout,
  scale: ColourScale,
  extra: string[],
) {
  const notes = [...extra];
  if (g.pr > 1 || g.pc > 1) {
    notes.push(`each cell: mean of ${g.pr} × ${g.pc} entries (${rows} × ${cols} shown as ${g.r} × ${g.c})`);
  }
  notes.push(
    scale.diverging
      ? `colour: ${scale.name}, centred at 0 (white), limits ±${legendNumber(scale.vmax)}`
      : `colour: ${scale.name}, ${legendNumber(scale.lo)} … ${legendNumber(scale.hi)}`,
  );
  notes.reverse().forEach((note, k) => fig.text(0, -12 - 16 * k, note, { size: 11, fill: "#444", role: "note" }));
  fig.text(0, -12 - 16 * notes.length - 6, o.title ?? "kernel", { size: 15, role: "title" });
}

/** Options of `kernelHeatmapSvg`: those of `heatmapSvg` but the matrix's own geometry. */
export type KernelHeatmapOptions = Omit<HeatmapOptions, "block">;

/**
 * An SVG heatmap of an NTK's values: a traced kernel `[N1, N2]` as it is, a full kernel
 * `[N1, N2, O1, O2]` (neural-tangents' layout) as the `(N1·O1) × (N2·O2)` matrix in example-major
 * order — row i·O1 + a is example i's output a — with lines between examples and ticks at their
 * centres. See `heatmapSvg` for colours, sizes and the spectrum panel.
 *
 * @param data the kernel's values, row-major (`await kernel.data()`)
 * @param shape the kernel's shape, rank 2 or 4
 * @param o titles, colormap, spectrum
 * @returns the SVG document
 * @throws {ShapeMismatchError} for a shape that is not rank 2 or 4 or does not match `data`
 *
 * @example Usage
 * ```ts
 * // deno run --allow-read
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { empiricalNtkFn, kernelHeatmapSvg } from "@fast-ntk/fast-ntk";
 * const f = (p: Record<string, tf.Tensor>, x: tf.Tensor | tf.Tensor[]) => tf.matMul(tf.tanh(tf.matMul(x as tf.Tensor, p.w1)), p.w2);
 * const params = { w1: tf.randomNormal([3, 16]), w2: tf.randomNormal([16, 2]) };
 * const k = await empiricalNtkFn(f, { traceAxes: [] })(tf.randomNormal([4, 3]), null, params); // [4, 4, 2, 2]
 * const svg = kernelHeatmapSvg(await k.data(), k.shape, { title: "full NTK" });
 * assert.equal(svg.match(/class="separator"/g)?.length, 2 * 3); // 3 lines between 4 examples, each way
 * ```
 */
export function kernelHeatmapSvg(
  data: ArrayLike<number>,
  shape: readonly number[],
  o: KernelHeatmapOptions = {},
): string {
  const size = shape.reduce((a, b) => a * b, 1);
  if (!(shape.length >= 2 && shape.length % 2 === 0 && size === data.length)) {
    throw new ShapeMismatchError("shape", shape, `expected [N1, N2] or [N1, N2, O1, O2] holding ${data.length} values`);
  }
  if (shape.length === 2) {
    const [n1, n2] = shape;
    return heatmapSvg(data, n1, n2, { rowsLabel: `x1: example i (${n1})`, colsLabel: `x2: example j (${n2})`, ...o });
  }
  const { matrix, rows, cols } = zippedMatrix(data, shape);
  const [n1, n2] = shape, [o1, o2] = [rows / n1, cols / n2];
  return heatmapSvg(matrix, rows, cols, {
    rowsLabel: `x1: example i, then output a (row i·${o1} + a; ${n1} × ${o1})`,
    colsLabel: `x2: example j, then output b (column j·${o2} + b; ${n2} × ${o2})`,
    ...o,
    block: [o1, o2],
  });
}

/**
 * A zipped kernel [N1, N2, A1, B1, A2, B2, …] as the row-major matrix [N1·A1·A2·…, N2·B1·B2·…]:
 * x1's axes (even positions) index rows, x2's (odd) columns, the first of each most significant.
 */
function zippedMatrix(data: ArrayLike<number>, shape: readonly number[]) {
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const offsets = (parity: number) => {
    let out = [0];
    shape.forEach((d, axis) => {
      if (axis % 2 !== parity) return;
      out = out.flatMap((base) => Array.from({ length: d }, (_, k) => base + k * strides[axis]));
    });
    return out;
  };
  const [rowOff, colOff] = [offsets(0), offsets(1)];
  const [rows, cols] = [rowOff.length, colOff.length];
  const matrix = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) matrix[r * cols + c] = data[rowOff[r] + colOff[c]];
  return { matrix, rows, cols };
}
