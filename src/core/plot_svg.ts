/**
 * The pieces every figure shares: an SVG builder that knows the box of everything it draws (so the
 * viewBox is sized from the text extents and nothing is clipped), nice tick values, and tick labels.
 * @module
 */

/**
 * Width of one character in em, for layout. Sans-serif fonts average about 0.55 em, but digits are
 * 0.64 em in DejaVu Sans (librsvg's and most Linux browsers' sans-serif): the larger bound is used.
 */
export const CHAR_EM = 0.65;

/** An axis-aligned box in user units. */
export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** How a text is placed: size in px, anchor, and whether it is turned to read upward. */
export interface TextStyle {
  size?: number;
  anchor?: "start" | "middle" | "end";
  /** Turned −90°, reading bottom to top, around (x, y) (a y-axis title). */
  vertical?: boolean;
  weight?: "bold";
  fill?: string;
  /** A class naming the text's role (xtick, ytick, xlabel, ylabel, title, legend, note), for tests and CSS. */
  role?: string;
}

/** Escapes text for SVG content and attribute values. */
export const esc = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** Estimated width of `s` at `size` px. */
export const textWidth = (s: string, size: number): number => [...s].length * CHAR_EM * size;

/** Fixed-point coordinates (one decimal) keep the SVG short. */
export const f1 = (v: number): string => String(Math.round(v * 10) / 10);

/** Collects SVG elements and the union of their boxes; `svg()` sizes the viewBox to fit them all. */
export class Figure {
  readonly parts: string[] = [];
  box: Box = { x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity };

  /** Adds raw SVG covering `box`. */
  add(svg: string, box: Box): void {
    this.parts.push(svg);
    this.box = {
      x0: Math.min(this.box.x0, box.x0),
      y0: Math.min(this.box.y0, box.y0),
      x1: Math.max(this.box.x1, box.x1),
      y1: Math.max(this.box.y1, box.y1),
    };
  }

  /** Adds a text at (x, y) (the baseline), returning its estimated box. */
  text(x: number, y: number, s: string, style: TextStyle = {}): Box {
    const size = style.size ?? 12, anchor = style.anchor ?? "start";
    const w = textWidth(s, size), shift = anchor === "start" ? 0 : anchor === "middle" ? w / 2 : w;
    // Ascent 0.8 em above the baseline, descent 0.25 em below.
    const box = style.vertical
      ? { x0: x - 0.8 * size, x1: x + 0.25 * size, y0: y - w + shift, y1: y + shift }
      : { x0: x - shift, x1: x - shift + w, y0: y - 0.8 * size, y1: y + 0.25 * size };
    const attrs = [
      `x="${f1(x)}" y="${f1(y)}"`,
      size !== 12 ? ` font-size="${size}"` : "",
      anchor !== "start" ? ` text-anchor="${anchor}"` : "",
      style.vertical ? ` transform="rotate(-90 ${f1(x)} ${f1(y)})"` : "",
      style.weight ? ` font-weight="${style.weight}"` : "",
      style.fill ? ` fill="${style.fill}"` : "",
      style.role ? ` class="${style.role}"` : "",
    ].join("");
    this.add(`<text ${attrs}>${esc(s)}</text>`, box);
    return box;
  }

  /** A straight line from (x0, y0) to (x1, y1). */
  line(x0: number, y0: number, x1: number, y1: number, stroke = "black", extra = ""): void {
    this.add(
      `<line x1="${f1(x0)}" y1="${f1(y0)}" x2="${f1(x1)}" y2="${f1(y1)}" stroke="${stroke}"${extra}/>`,
      { x0: Math.min(x0, x1), y0: Math.min(y0, y1), x1: Math.max(x0, x1), y1: Math.max(y0, y1) },
    );
  }

  /** The document: a white background and everything added, with `margin` px around the union. */
  svg(margin = 10): string {
    const { x0, y0, x1, y1 } = this.box;
    const [x, y] = [Math.floor(x0 - margin), Math.floor(y0 - margin)];
    const [width, height] = [Math.ceil(x1 + margin) - x, Math.ceil(y1 + margin) - y];
    return [
      `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
      `viewBox="${x} ${y} ${width} ${height}" font-family="sans-serif" font-size="12">`,
      `<rect x="${x}" y="${y}" width="${width}" height="${height}" fill="white"/>`,
      ...this.parts,
      `</svg>`,
    ].join("\n");
  }
}

/**
 * About `count` round tick values (1, 2 or 5 × 10^k apart) inside [lo, hi], and their step —
 * the "nice numbers" of Heckbert (Graphics Gems, 1990), as d3's `ticks` chooses them.
 */
export function niceTicks(lo: number, hi: number, count = 5): { values: number[]; step: number } {
  if (!(hi > lo) || !Number.isFinite(hi - lo)) return { values: Number.isFinite(lo) ? [lo] : [], step: 1 };
  const raw = (hi - lo) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  // The multiplier nearest the raw step on a log scale (d3's thresholds: √50, √10, √2).
  const m = raw / power;
  const step = (m >= Math.sqrt(50) ? 10 : m >= Math.sqrt(10) ? 5 : m >= Math.SQRT2 ? 2 : 1) * power;
  const values: number[] = [];
  // Integer multiples of the step, so 0 is exactly 0 and labels carry no round-off.
  for (let k = Math.ceil(lo / step - 1e-9); k <= Math.floor(hi / step + 1e-9); k++) {
    values.push(step >= 1 ? k * step : k / Math.round(1 / step));
  }
  return { values, step };
}

/** A tick label for `v` on an axis whose ticks are `step` apart: as many decimals as the step needs. */
export function tickLabel(v: number, step: number): string {
  if (v === 0) return "0";
  const big = Math.max(Math.abs(v), step);
  if (big >= 1e5 || big < 1e-3) {
    const digits = Math.max(0, Math.floor(Math.log10(Math.abs(v))) - Math.floor(Math.log10(step)));
    return v.toExponential(Math.min(digits, 6)).replace("e+", "e");
  }
  return v.toFixed(Math.max(0, -Math.floor(Math.log10(step) + 1e-9)));
}

const SUPERSCRIPT: Record<string, string> = {
  "-": "⁻",
  "0": "⁰",
  "1": "¹",
  "2": "²",
  "3": "³",
  "4": "⁴",
  "5": "⁵",
  "6": "⁶",
  "7": "⁷",
  "8": "⁸",
  "9": "⁹",
};

/** "10⁻³" for k = −3: a decade's label on a log axis. */
export const decadeLabel = (k: number): string => "10" + [...String(k)].map((c) => SUPERSCRIPT[c]).join("");

/** A number for a legend: 4 significant digits, exponent form when large or small. */
export function legendNumber(v: number): string {
  if (!Number.isFinite(v)) return v > 0 ? "∞" : String(v);
  const a = Math.abs(v);
  return a !== 0 && (a >= 1e5 || a < 1e-3)
    ? v.toExponential(3).replace(/\.?0+e/, "e").replace("e+", "e")
    : String(Number(v.toPrecision(4)));
}
