/**
 * Charts of points and lines: a kernel's spectrum (log eigenvalue against index, with its condition
 * number and effective rank) and line charts such as loss against training time.
 * @module
 */
import { type Axis, drawAxes, frameOf, linearAxis, logAxis, type Marker, marker } from "./plot_axes.ts";
import { f1, Figure, legendNumber, textWidth } from "./plot_svg.ts";
import { defaultRcond, spectrumStats } from "./spectrum_stats.ts";

/** A spectrum to draw: the eigenvalues (descending), with the numbers `ntkSpectrum` gives, if at hand. */
export interface SpectrumData {
  /** All eigenvalues, descending. */
  eigenvalues: ArrayLike<number>;
  /** λ_max / λ_min; computed from the eigenvalues when absent (rcond n·2⁻²³, as `ntkSpectrum`). */
  conditionNumber?: number;
  /** exp of the entropy of λ / Σλ (Roy & Vetterli 2007); computed when absent. */
  effectiveRank?: number;
  /** (Σλ)² / Σλ²; computed when absent. */
  participationRatio?: number;
}

/** The legend lines of a spectrum: condition number and both effective ranks, each with its definition. */
function spectrumLegend(s: SpectrumData, n: number, dropped: number): string[] {
  const stats = spectrumStats(s.eigenvalues, defaultRcond(n));
  const kappa = s.conditionNumber ?? stats.conditionNumber;
  const erank = s.effectiveRank ?? stats.effectiveRank;
  const ratio = s.participationRatio ?? stats.participationRatio;
  return [
    `condition number κ = λ₁/λ${n === 1 ? "₁" : "ₙ"} = ${legendNumber(kappa)}`,
    `effective rank exp(H(λ/Σλ)) = ${legendNumber(erank)} of ${n}`,
    `participation ratio (Σλ)²/Σλ² = ${legendNumber(ratio)}`,
    ...(dropped ? [`${dropped} eigenvalue${dropped === 1 ? "" : "s"} ≤ 0 not shown`] : []),
  ];
}

/**
 * Draws a spectrum panel into `fig` with its plot frame at (x, y), `w × h`: a dot per positive
 * eigenvalue (a line above 400), log10 λ against the index 1 … n, and the legend below.
 */
export function drawSpectrum(fig: Figure, s: SpectrumData, x: number, y: number, w: number, h: number): void {
  const values = Array.from(s.eigenvalues);
  const n = values.length;
  const shown = values.map((v, i) => [i + 1, v]).filter(([, v]) => v > 0 && Number.isFinite(v));
  const xa = linearAxis([0.5, Math.max(n, 1) + 0.5], `index i (eigenvalues descending), 1 … ${n}`, 6, true);
  xa.ticks = xa.ticks.filter((t) => t.at >= 1 && t.at <= n);
  const ya = logAxis(shown.map(([, v]) => Math.log10(v)), "eigenvalue λᵢ (log scale)");
  const f = frameOf(x, y, w, h, xa, ya);
  fig.parts.push(`<g id="spectrum">`);
  drawAxes(fig, f, xa, ya);
  const pts = shown.map(([i, v]) => [f.px(i), f.py(Math.log10(v))]);
  const colour = "rgb(33,102,172)";
  if (pts.length <= 400) {
    for (const [cx, cy] of pts) fig.parts.push(`<circle cx="${f1(cx)}" cy="${f1(cy)}" r="2.2" fill="${colour}"/>`);
  } else {
    const d = pts.map(([a, b]) => `${f1(a)},${f1(b)}`).join(" ");
    fig.parts.push(`<polyline points="${d}" fill="none" stroke="${colour}" stroke-width="1.5"/>`);
  }
  spectrumLegend(s, n, n - shown.length).forEach((line, k) => {
    fig.text(x, y + h + 64 + 16 * k, line, { role: "legend" });
  });
  fig.parts.push(`</g>`);
}

/** Width a spectrum panel needs for its legend. */
export function spectrumPanelWidth(s: SpectrumData): number {
  const n = s.eigenvalues.length;
  return Math.max(320, ...spectrumLegend(s, n, 1).map((l) => textWidth(l, 12) + 10));
}

/**
 * An SVG of a kernel's spectrum: its eigenvalues (descending) on a log scale against their index,
 * with the condition number κ = λ₁/λₙ, the entropy effective rank exp(−Σ pᵢ log pᵢ), pᵢ = λᵢ/Σλ
 * (Roy & Vetterli 2007) and the participation ratio (Σλ)²/Σλ² in a legend. Eigenvalues ≤ 0 have
 * no logarithm: they are counted in the legend instead.
 *
 * @param spectrum the eigenvalues, or `ntkSpectrum`'s result (its numbers are then shown as given)
 * @param options a title
 * @returns the SVG document
 *
 * @example Usage
 * ```ts
 * // deno run --allow-read
 * import assert from "node:assert/strict";
 * import { spectrumSvg } from "@fast-ntk/fast-ntk";
 * const svg = spectrumSvg([100, 10, 1, 0.1], { title: "spectrum" });
 * assert.match(svg, /condition number κ = λ₁\/λₙ = 1000/);
 * ```
 */
export function spectrumSvg(spectrum: ArrayLike<number> | SpectrumData, options: { title?: string } = {}): string {
  const s = "eigenvalues" in spectrum ? spectrum : { eigenvalues: spectrum };
  const fig = new Figure();
  if (options.title) fig.text(0, -16, options.title, { size: 14, role: "title" });
  drawSpectrum(fig, s, 0, 0, spectrumPanelWidth(s), 260);
  return fig.svg();
}

/** One line of a chart: (x, y) points in order, with how it is drawn. */
export interface LineSeries {
  /** Its name in the legend. */
  label: string;
  /** The points, joined in order. */
  points: [x: number, y: number][];
  /** Line and marker colour. @default by position, from Okabe & Ito's colour-blind-safe palette */
  colour?: string;
  /** Dashed line. @default by position: solid, dashed, dotted, dash-dot */
  dashed?: boolean;
  /** Marker shape. @default by position: circle, square, triangle, diamond */
  marker?: Marker;
  /** Marker outline only. @default false for the first series, true after */
  open?: boolean;
}

/** Options of `lineChartSvg`. */
export interface LineChartOptions {
  /** Above the plot. */
  title?: string;
  /** Axis titles. */
  xLabel?: string;
  /** Axis titles. */
  yLabel?: string;
  /** Log-scale x axis; points with x ≤ 0 are left out, and counted in a note. @default false */
  logX?: boolean;
  /** Log-scale y axis; values below `floor` are drawn at it. @default false */
  logY?: boolean;
  /**
   * On a log y axis, values below this (zeros included) are drawn at it, with an open triangle
   * pointing down, and a note says so.
   * @default one decade below the decade of the smallest positive y
   */
  floor?: number;
}

/** Okabe & Ito's colour-blind-safe colours. */
const PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"];
const MARKERS: Marker[] = ["circle", "square", "triangle", "diamond"];
const DASHES = ["", "7 4", "2 3", "9 3 2 3"];

/** The points in axis units: log10 where asked, y below the floor clipped to it. */
function chartPoints(series: LineSeries[], o: LineChartOptions) {
  const positives = series.flatMap((s) => s.points.map(([, y]) => y)).filter((y) => y > 0 && Number.isFinite(y));
  const floor = o.floor ?? 10 ** (Math.floor(Math.log10(Math.min(...positives, 1))) - 1);
  let droppedX = 0, clipped = 0;
  const kept = series.map((s) =>
    s.points.flatMap(([x, y]) => {
      if (!Number.isFinite(x) || Number.isNaN(y) || (o.logX && x <= 0)) return droppedX++, [];
      const low = o.logY === true && !(y >= floor);
      if (low) clipped++;
      const yy = low ? floor : y;
      return [{ x: o.logX ? Math.log10(x) : x, y: o.logY ? Math.log10(yy) : yy, clipped: low }];
    })
  );
  return { kept, floor, droppedX, clipped };
}

/**
 * An SVG line chart of several series on shared axes: labelled ticks (decades on log axes), grid,
 * and a legend in which each series has its own line style and marker, so series read apart
 * without colour.
 *
 * @example Usage
 * ```ts
 * // deno run --allow-read
 * import assert from "node:assert/strict";
 * import { lineChartSvg } from "@fast-ntk/fast-ntk";
 * const svg = lineChartSvg([{ label: "y = x²", points: [[1, 1], [2, 4], [3, 9]] }], { xLabel: "x", yLabel: "y" });
 * assert.match(svg, />y = x²</);
 * ```
 */
export function lineChartSvg(series: LineSeries[], o: LineChartOptions = {}): string {
  const { kept, floor, droppedX, clipped } = chartPoints(series, o);
  const xs = kept.flat().map((p) => p.x), ys = kept.flat().map((p) => p.y);
  const xa: Axis = o.logX ? logAxis(xs, o.xLabel ?? "") : linearAxis(xs, o.xLabel ?? "");
  const ya: Axis = o.logY ? logAxis(ys, o.yLabel ?? "") : linearAxis(ys, o.yLabel ?? "");
  if (!o.logX) {
    [xa.lo, xa.hi] = [
      Math.min(xa.lo, ...xa.ticks.map((t) => t.at)),
      Math.max(xa.hi, ...xa.ticks.map((t) => t.at)),
    ];
  }
  if (!o.logY) {
    [ya.lo, ya.hi] = [
      Math.min(ya.lo, ...ya.ticks.map((t) => t.at)),
      Math.max(ya.hi, ...ya.ticks.map((t) => t.at)),
    ];
  }
  const fig = new Figure();
  const f = frameOf(0, 0, 460, 280, xa, ya);
  if (o.title) fig.text(0, -16, o.title, { size: 14, role: "title" });
  drawAxes(fig, f, xa, ya);
  kept.forEach((pts, i) => {
    const s = series[i], colour = s.colour ?? PALETTE[i % PALETTE.length];
    const shape = s.marker ?? MARKERS[i % MARKERS.length], open = s.open ?? i > 0;
    const dash = s.dashed === undefined ? DASHES[i % DASHES.length] : s.dashed ? DASHES[1] : "";
    const style = `fill="none" stroke="${colour}" stroke-width="1.8"${dash ? ` stroke-dasharray="${dash}"` : ""}`;
    if (pts.length) {
      const d = pts.map((p, k) => `${k ? "L" : "M"}${f1(f.px(p.x))},${f1(f.py(p.y))}`).join(" ");
      fig.parts.push(`<path class="series" d="${d}" ${style}/>`);
    }
    // A marker on every point, thinned to about 25 per series.
    const every = Math.max(1, Math.ceil(pts.length / 25));
    pts.forEach((p, k) => {
      if (k % every && !p.clipped) return;
      const m = p.clipped
        ? downTriangle(f.px(p.x), f.py(p.y), colour)
        : marker(shape, f.px(p.x), f.py(p.y), colour, open);
      fig.parts.push(m);
    });
    const ly = 14 + 20 * i;
    fig.add(`<path d="M${f.w + 16},${ly - 4} H${f.w + 52}" ${style}/>`, {
      x0: f.w + 16,
      y0: ly - 8,
      x1: f.w + 52,
      y1: ly,
    });
    fig.parts.push(marker(shape, f.w + 34, ly - 4, colour, open));
    fig.text(f.w + 60, ly, s.label, { role: "legend" });
  });
  const notes = [
    ...(clipped
      ? [`▽ ${clipped} value${clipped === 1 ? "" : "s"} below ${legendNumber(floor)} (e.g. 0) drawn at it`]
      : []),
    ...(droppedX ? [`${droppedX} point${droppedX === 1 ? "" : "s"} with x ≤ 0 or not finite left out`] : []),
  ];
  notes.forEach((note, k) =>
    fig.text(f.w + 16, 14 + 20 * series.length + 8 + 16 * k, note, { size: 11, role: "note" })
  );
  return fig.svg();
}

/** The marker of a value clipped to the floor: an open triangle pointing down. */
function downTriangle(x: number, y: number, colour: string): string {
  return `<path class="clipped" d="M${f1(x)},${f1(y + 4.5)} L${f1(x + 4.5)},${f1(y - 3)} L${f1(x - 4.5)},${
    f1(y - 3)
  } Z" ` +
    `fill="white" stroke="${colour}" stroke-width="1.3"/>`;
}

/** Losses over training time, as `lossCurveSvg` takes them. */
export interface LossCurves {
  /** Times (or steps), > 0 to be shown on the log axis. */
  t: ArrayLike<number>;
  /** Training loss at each time. */
  train: ArrayLike<number>;
  /** Test loss at each time. */
  test?: ArrayLike<number>;
}

/**
 * An SVG of train (solid line, filled circles) and test (dashed line, open squares) loss against
 * time on log–log axes. Zero losses (a fit to round-off) have no logarithm: they are drawn at a
 * floor one decade below the smallest positive loss (or `options.floor`), marked ▽, and a note
 * says how many. Times ≤ 0 are left out, and counted in a note.
 *
 * @param curves times and the losses at them
 * @param options title, axis titles and the floor
 * @returns the SVG document
 *
 * @example Usage
 * ```ts
 * // deno run --allow-read
 * import assert from "node:assert/strict";
 * import { lossCurveSvg } from "@fast-ntk/fast-ntk";
 * const t = [0.1, 1, 10, 100];
 * const svg = lossCurveSvg({ t, train: [1, 0.1, 1e-3, 0], test: [1.2, 0.4, 0.3, 0.3] });
 * assert.match(svg, /1 value below 1e-4 \(e\.g\. 0\) drawn at it/);
 * ```
 */
export function lossCurveSvg(curves: LossCurves, options: Omit<LineChartOptions, "logX" | "logY"> = {}): string {
  const t = Array.from(curves.t);
  const series: LineSeries[] = [
    { label: "train", points: t.map((x, i) => [x, curves.train[i]]), dashed: false, marker: "circle", open: false },
  ];
  if (curves.test) {
    const test = curves.test;
    series.push({ label: "test", points: t.map((x, i) => [x, test[i]]), dashed: true, marker: "square", open: true });
  }
  return lineChartSvg(series, {
    xLabel: "time t (log scale)",
    yLabel: "loss (log scale)",
    ...options,
    logX: true,
    logY: true,
  });
}
