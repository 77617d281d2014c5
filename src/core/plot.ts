/**
 * SVG heatmaps of kernels, with an optional panel of their spectrum: dependency-free, readable at
 * a glance.
 * @module
 */

/** Perceptually ordered colours (viridis, 9 stops), interpolated. */
const VIRIDIS = [
  [68, 1, 84],
  [71, 44, 122],
  [59, 81, 139],
  [44, 113, 142],
  [33, 144, 141],
  [39, 173, 129],
  [92, 200, 99],
  [170, 220, 50],
  [253, 231, 37],
];

export function colour(t: number): string {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const c = VIRIDIS[i].map((v, k) => Math.round(v + f * (VIRIDIS[i + 1][k] - v)));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export interface HeatmapOptions {
  title?: string;
  /** Axis captions. */
  rowsLabel?: string;
  colsLabel?: string;
  /** Largest number of cells drawn per side; bigger matrices are block-averaged. @default 160 */
  maxCells?: number;
  /** Eigenvalues (descending) to draw in a panel right of the heatmap: log10 λ against index. */
  spectrum?: ArrayLike<number>;
}

/**
 * A panel of eigenvalues on a log scale against their index, at (x, y) of size w × h. Eigenvalues
 * ≤ 0 have no logarithm: they are counted in a note instead.
 */
function spectrumPanel(values: ArrayLike<number>, x: number, y: number, w: number, h: number): string {
  const n = values.length;
  const positive = Array.from(values).map((v, i) => [i, v]).filter(([, v]) => v > 0);
  const logs = positive.map(([, v]) => Math.log10(v));
  let [lo, hi] = logs.length
    ? [Math.floor(logs.reduce((a, b) => Math.min(a, b))), Math.ceil(logs.reduce((a, b) => Math.max(a, b)))]
    : [0, 1];
  if (hi === lo) hi = lo + 1;
  const py = (l: number) => y + (h * (hi - l)) / (hi - lo);
  const px = (i: number) => x + (w * (i + 0.5)) / Math.max(n, 1);
  const parts = [
    `<g id="spectrum" font-size="11">`,
    `<path d="M${x},${y} V${y + h} H${x + w}" stroke="black" fill="none"/>`,
  ];
  // A tick per decade, thinned to at most 8 labels.
  const step = Math.max(1, Math.ceil((hi - lo) / 8));
  for (let d = lo; d <= hi; d += step) {
    const ty = py(d).toFixed(1);
    parts.push(`<path d="M${x - 4},${ty} H${x}" stroke="black"/>`);
    parts.push(`<text x="${x - 6}" y="${ty}" text-anchor="end" dominant-baseline="middle">1e${d}</text>`);
  }
  const points = positive.map(([i], k) => [px(i), py(logs[k])]);
  if (points.length <= 400) {
    for (const [cx, cy] of points) {
      parts.push(`<circle cx="${cx.toFixed(1)}" cy="${cy.toFixed(1)}" r="2" fill="rgb(59,81,139)"/>`);
    }
  } else {
    const d = points.map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`).join(" ");
    parts.push(`<polyline points="${d}" fill="none" stroke="rgb(59,81,139)" stroke-width="1.5"/>`);
  }
  // The caption goes below the panel: above it the heatmap's title may run long.
  parts.push(
    `<text x="${x + w / 2}" y="${y + h + 24}" text-anchor="middle">eigenvalues (log scale) by index, 1 … ${n}</text>`,
  );
  const dropped = n - positive.length;
  if (dropped) {
    parts.push(`<text x="${x + w}" y="${y + 12}" text-anchor="end">${dropped} eigenvalues ≤ 0 not shown</text>`);
  }
  parts.push(`</g>`);
  return parts.join("\n");
}

/** Block-averages a row-major matrix down to at most `max` cells per side. */
function downsample(data: ArrayLike<number>, rows: number, cols: number, max: number) {
  const br = Math.ceil(rows / max), bc = Math.ceil(cols / max);
  const r = Math.ceil(rows / br), c = Math.ceil(cols / bc);
  const out = new Float64Array(r * c);
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < c; j++) {
      let s = 0, n = 0;
      for (let a = i * br; a < Math.min(rows, (i + 1) * br); a++) {
        for (let b = j * bc; b < Math.min(cols, (j + 1) * bc); b++) s += data[a * cols + b], n++;
      }
      out[i * c + j] = s / n;
    }
  }
  return { data: out, rows: r, cols: c, block: [br, bc] };
}

/** An SVG heatmap of a `rows × cols` row-major matrix, with a colour bar. */
export function heatmapSvg(data: ArrayLike<number>, rows: number, cols: number, o: HeatmapOptions = {}): string {
  const m = downsample(data, rows, cols, o.maxCells ?? 160);
  let lo = Infinity, hi = -Infinity;
  for (const v of m.data) if (Number.isFinite(v)) lo = Math.min(lo, v), hi = Math.max(hi, v);
  if (!(hi > lo)) hi = lo + 1;
  const cell = Math.max(2, Math.min(24, Math.floor(480 / Math.max(m.rows, m.cols))));
  const [left, top] = [60, 44];
  const [w, h] = [m.cols * cell, m.rows * cell];
  const parts: string[] = [];
  for (let i = 0; i < m.rows; i++) {
    for (let j = 0; j < m.cols; j++) {
      const v = m.data[i * m.cols + j];
      parts.push(
        `<rect x="${left + j * cell}" y="${top + i * cell}" width="${cell}" height="${cell}" fill="${
          colour((v - lo) / (hi - lo))
        }"/>`,
      );
    }
  }
  const barX = left + w + 24, steps = 64;
  for (let k = 0; k < steps; k++) {
    const y = top + (h * k) / steps;
    parts.push(
      `<rect x="${barX}" y="${y.toFixed(1)}" width="14" height="${(h / steps + 0.5).toFixed(1)}" fill="${
        colour(1 - k / steps)
      }"/>`,
    );
  }
  const fmt = (
    v: number,
  ) => (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : v.toPrecision(4));
  const note = m.block[0] > 1 || m.block[1] > 1 ? ` (block means of ${m.block[0]}×${m.block[1]})` : "";
  // The spectrum panel, when asked for, goes right of the colour bar's labels.
  const [panelX, panelW, panelH] = [barX + 140, 320, Math.max(h, 180)];
  const panel = o.spectrum ? spectrumPanel(o.spectrum, panelX, top, panelW, panelH) : null;
  const width = panel ? panelX + panelW + 20 : barX + 90, height = top + (panel ? Math.max(h, panelH) : h) + 40;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="22" font-size="14">${esc((o.title ?? "kernel") + note)}</text>`,
    ...parts,
    `<text x="${barX + 18}" y="${top + 10}">${fmt(hi)}</text>`,
    `<text x="${barX + 18}" y="${top + h}">${fmt(lo)}</text>`,
    `<text x="${left + w / 2}" y="${top + h + 24}" text-anchor="middle">${esc(o.colsLabel ?? `x2 (${cols})`)}</text>`,
    `<text transform="translate(${left - 16},${top + h / 2}) rotate(-90)" text-anchor="middle">${
      esc(o.rowsLabel ?? `x1 (${rows})`)
    }</text>`,
    ...(panel ? [panel] : []),
    `</svg>`,
  ].join("\n");
}

/** One line of a chart: (x, y) points, drawn in order. */
export interface LineSeries {
  label: string;
  points: [x: number, y: number][];
  colour?: string;
  dashed?: boolean;
}

export interface LineChartOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Log-scale axes (points ≤ 0 or non-finite on a log axis are left out). @default false */
  logX?: boolean;
  logY?: boolean;
}

const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf"];

/** An SVG line chart of several series on shared axes, with a legend — e.g. loss against time. */
export function lineChartSvg(series: LineSeries[], o: LineChartOptions = {}): string {
  const tx = (v: number) => (o.logX ? Math.log10(v) : v), ty = (v: number) => (o.logY ? Math.log10(v) : v);
  const usable = ([x, y]: [number, number]) =>
    Number.isFinite(x) && Number.isFinite(y) && (!o.logX || x > 0) && (!o.logY || y > 0);
  const kept = series.map((s) => s.points.filter(usable).map(([x, y]) => [tx(x), ty(y)] as [number, number]));
  const all = kept.flat();
  const span = (vs: number[]) => {
    let [lo, hi] = vs.length ? [Math.min(...vs), Math.max(...vs)] : [0, 1];
    if (!(hi > lo)) [lo, hi] = [lo - 0.5, hi + 0.5];
    return [lo, hi];
  };
  const [xlo, xhi] = span(all.map((p) => p[0])), [ylo, yhi] = span(all.map((p) => p[1]));
  const [left, top, w, h] = [70, 40, 460, 260];
  const X = (v: number) => left + ((v - xlo) / (xhi - xlo)) * w,
    Y = (v: number) => top + h - ((v - ylo) / (yhi - ylo)) * h;
  const label = (v: number, log?: boolean) => (log ? `1e${v.toFixed(1).replace(/\.0$/, "")}` : v.toPrecision(3));
  const ticks = (lo: number, hi: number, log?: boolean) => {
    // Log axes: whole decades, thinned to at most 7 labels.
    const decades = Array.from({ length: Math.floor(hi) - Math.ceil(lo) + 1 }, (_, i) => Math.ceil(lo) + i);
    if (log && decades.length >= 2) return decades.filter((_, i) => i % Math.ceil(decades.length / 7) === 0);
    return Array.from({ length: 5 }, (_, i) => lo + ((hi - lo) * i) / 4);
  };
  const parts: string[] = [`<rect x="${left}" y="${top}" width="${w}" height="${h}" fill="none" stroke="#999"/>`];
  for (const v of ticks(xlo, xhi, o.logX)) {
    parts.push(`<text x="${X(v).toFixed(1)}" y="${top + h + 16}" text-anchor="middle">${label(v, o.logX)}</text>`);
  }
  for (const v of ticks(ylo, yhi, o.logY)) {
    parts.push(`<text x="${left - 6}" y="${(Y(v) + 4).toFixed(1)}" text-anchor="end">${label(v, o.logY)}</text>`);
  }
  kept.forEach((pts, i) => {
    const s = series[i], c = s.colour ?? PALETTE[i % PALETTE.length];
    if (pts.length) {
      const d = pts.map(([x, y], k) => `${k ? "L" : "M"}${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(" ");
      parts.push(
        `<path d="${d}" fill="none" stroke="${c}" stroke-width="2"${s.dashed ? ` stroke-dasharray="6 4"` : ""}/>`,
      );
    }
    const ly = top + 14 + 16 * i;
    parts.push(
      `<line x1="${left + w + 14}" y1="${ly - 4}" x2="${left + w + 38}" y2="${
        ly - 4
      }" stroke="${c}" stroke-width="2"/>`,
    );
    parts.push(`<text x="${left + w + 44}" y="${ly}">${esc(s.label)}</text>`);
  });
  const width = left + w + 200, height = top + h + 48;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="22" font-size="14">${esc(o.title ?? "")}</text>`,
    ...parts,
    `<text x="${left + w / 2}" y="${top + h + 36}" text-anchor="middle">${esc(o.xLabel ?? "")}</text>`,
    `<text transform="translate(${left - 50},${top + h / 2}) rotate(-90)" text-anchor="middle">${
      esc(o.yLabel ?? "")
    }</text>`,
    `</svg>`,
  ].join("\n");
}
