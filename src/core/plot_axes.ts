/**
 * Axes for charts: linear or log10 scales with labelled ticks (nice numbers, or decades), a frame,
 * light grid lines and axis titles, drawn into a `Figure`.
 * @module
 */
import { decadeLabel, f1, type Figure, niceTicks, textWidth, tickLabel } from "./plot_svg.ts";

/** One axis: its range (in log10 units when `log`), ticks and title. */
export interface Axis {
  lo: number;
  hi: number;
  log: boolean;
  ticks: { at: number; label: string }[];
  /** Unlabelled minor ticks (log axes: 2…9 × 10ᵏ). */
  minor: number[];
  title: string;
}

/** A linear axis over the finite `values`, widened to the nice ticks around them. */
export function linearAxis(values: number[], title: string, count = 6, integer = false): Axis {
  let [lo, hi] = values.length ? [Math.min(...values), Math.max(...values)] : [0, 1];
  if (!(hi > lo)) [lo, hi] = [lo - 0.5, hi + 0.5];
  let { values: ticks, step } = niceTicks(lo, hi, count);
  if (integer && step < 1) ({ values: ticks, step } = { values: ticks.filter(Number.isInteger), step: 1 });
  return { lo, hi, log: false, ticks: ticks.map((v) => ({ at: v, label: tickLabel(v, step) })), minor: [], title };
}

/** A log10 axis over positive `values` (given as log10), from decade to decade. */
export function logAxis(logs: number[], title: string): Axis {
  let [lo, hi] = logs.length ? [Math.floor(Math.min(...logs)), Math.ceil(Math.max(...logs))] : [0, 1];
  if (hi === lo) hi = lo + 1;
  const decades = hi - lo, every = Math.ceil(decades / 8);
  const ticks: Axis["ticks"] = [], minor: number[] = [];
  for (let k = lo; k <= hi; k++) {
    if (((k % every) + every) % every === 0) ticks.push({ at: k, label: decadeLabel(k) });
    else minor.push(k);
    if (decades <= 6 && k < hi) { for (let m = 2; m <= 9; m++) minor.push(k + Math.log10(m)); }
  }
  return { lo, hi, log: true, ticks, minor, title };
}

/** Where a plot's frame is, and the maps from data (log10 units on log axes) to it. */
export interface Frame {
  x: number;
  y: number;
  w: number;
  h: number;
  px(v: number): number;
  py(v: number): number;
}

export function frameOf(x: number, y: number, w: number, h: number, xa: Axis, ya: Axis): Frame {
  return {
    x,
    y,
    w,
    h,
    px: (v) => x + ((v - xa.lo) / (xa.hi - xa.lo)) * w,
    py: (v) => y + h - ((v - ya.lo) / (ya.hi - ya.lo)) * h,
  };
}

/** Draws the frame, grid, ticks, tick labels and titles of both axes. */
export function drawAxes(fig: Figure, f: Frame, xa: Axis, ya: Axis): void {
  const grid = ` stroke-width="0.6"`;
  for (const t of xa.ticks) {
    const x = f.px(t.at);
    fig.line(x, f.y, x, f.y + f.h, "#e3e3e3", grid);
    fig.line(x, f.y + f.h, x, f.y + f.h + 5);
    fig.text(x, f.y + f.h + 18, t.label, { anchor: "middle", role: "xtick" });
  }
  for (const v of xa.minor) fig.line(f.px(v), f.y + f.h, f.px(v), f.y + f.h + 3);
  let labelWidth = 0;
  for (const t of ya.ticks) {
    const y = f.py(t.at);
    fig.line(f.x, y, f.x + f.w, y, "#e3e3e3", grid);
    fig.line(f.x - 5, y, f.x, y);
    fig.text(f.x - 8, y + 4, t.label, { anchor: "end", role: "ytick" });
    labelWidth = Math.max(labelWidth, textWidth(t.label, 12));
  }
  for (const v of ya.minor) fig.line(f.x - 3, f.py(v), f.x, f.py(v));
  fig.add(
    `<rect x="${f1(f.x)}" y="${f1(f.y)}" width="${f1(f.w)}" height="${f1(f.h)}" fill="none" stroke="black"/>`,
    { x0: f.x, y0: f.y, x1: f.x + f.w, y1: f.y + f.h },
  );
  fig.text(f.x + f.w / 2, f.y + f.h + 38, xa.title, { anchor: "middle", size: 13, role: "xlabel" });
  fig.text(f.x - labelWidth - 18, f.y + f.h / 2, ya.title, {
    anchor: "middle",
    size: 13,
    vertical: true,
    role: "ylabel",
  });
}

/** Marker shapes that tell series apart without colour. */
export type Marker = "circle" | "square" | "triangle" | "diamond" | "none";

/** One marker at (x, y); `open` draws the outline only. */
export function marker(shape: Marker, x: number, y: number, colour: string, open: boolean, r = 3.5): string {
  const paint = open ? `fill="white" stroke="${colour}" stroke-width="1.3"` : `fill="${colour}" stroke="${colour}"`;
  const [a, b] = [f1(x), f1(y)];
  switch (shape) {
    case "circle":
      return `<circle cx="${a}" cy="${b}" r="${r}" ${paint}/>`;
    case "square":
      return `<rect x="${f1(x - r)}" y="${f1(y - r)}" width="${2 * r}" height="${2 * r}" ${paint}/>`;
    case "triangle":
      return `<path d="M${a},${f1(y - r * 1.2)} L${f1(x + r * 1.1)},${f1(y + r * 0.8)} ` +
        `L${f1(x - r * 1.1)},${f1(y + r * 0.8)} Z" ${paint}/>`;
    case "diamond":
      return `<path d="M${a},${f1(y - r * 1.3)} L${f1(x + r)},${b} L${a},${f1(y + r * 1.3)} L${
        f1(x - r)
      },${b} Z" ${paint}/>`;
    default:
      return "";
  }
}
