/**
 * Colour scales for heatmaps: viridis (perceptually uniform, sequential) for data ≥ 0, and RdBu
 * (ColorBrewer's diverging red–blue) centred at 0 for signed data, with 0 exactly at its neutral
 * colour. Each is quantized to a 255-colour palette, so a heatmap is one indexed PNG.
 * @module
 */

type Rgb = [number, number, number];

/** viridis at 9 equally spaced stops (matplotlib's, by van der Walt & Smith), linear in between. */
const VIRIDIS: Rgb[] = [
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

/** ColorBrewer RdBu (11 classes), from blue (t = 0, most negative) to red (t = 1); #f7f7f7 at t = ½. */
const RD_BU: Rgb[] = [
  [5, 48, 97],
  [33, 102, 172],
  [67, 147, 195],
  [146, 197, 222],
  [209, 229, 240],
  [247, 247, 247],
  [253, 219, 199],
  [244, 165, 130],
  [214, 96, 77],
  [178, 24, 43],
  [103, 0, 31],
];

/** The colour diverging scales give 0. */
export const NEUTRAL: Rgb = [247, 247, 247];
/** The colour of NaN and ±Infinity cells. */
export const NON_FINITE: Rgb = [160, 160, 160];
/** Palette size: odd, so t = ½ (the value 0 on a diverging scale) is exactly one entry. */
export const LEVELS = 255;

/** Piecewise-linear interpolation through equally spaced stops, t clamped to [0, 1]. */
function interpolate(stops: Rgb[], t: number): Rgb {
  const x = Math.min(1, Math.max(0, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x)), f = x - i;
  return stops[i].map((v, k) => Math.round(v + f * (stops[i + 1][k] - v))) as Rgb;
}

/** The colormaps by name. */
export const COLORMAPS: Record<ColormapName, (t: number) => Rgb> = {
  viridis: (t: number): Rgb => interpolate(VIRIDIS, t),
  RdBu: (t: number): Rgb => interpolate(RD_BU, t),
};
/** The colormaps a heatmap can use: "viridis" (sequential) or "RdBu" (diverging). */
export type ColormapName = "viridis" | "RdBu";

/** A value → colour mapping fitted to data. */
export interface ColourScale {
  name: ColormapName;
  diverging: boolean;
  /** The finite data's range (the colour bar's extent). */
  lo: number;
  hi: number;
  /** The values mapped to the colormap's ends: ±max|v| when diverging, else [lo, hi]. */
  vmin: number;
  vmax: number;
  /** The palette index of a value: 0 … LEVELS − 1, or LEVELS for NaN and ±Infinity. */
  index(v: number): number;
  /** RGB triples of the LEVELS colours, then the non-finite colour. */
  palette: Uint8Array;
}

/**
 * Fits a scale to `data`: RdBu centred at 0 (limits ±max|v|, so equal magnitudes get equal
 * saturation and 0 the neutral colour) when any finite value is negative, else viridis over
 * [min, max]. `name` forces a colormap.
 */
export function colourScale(data: ArrayLike<number>, name?: ColormapName): ColourScale {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (Number.isFinite(v)) lo = Math.min(lo, v), hi = Math.max(hi, v);
  }
  if (lo > hi) [lo, hi] = [0, 0];
  const chosen = name ?? (lo < 0 ? "RdBu" : "viridis");
  const diverging = chosen === "RdBu";
  const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
  const [vmin, vmax] = diverging ? [-m, m] : hi > lo ? [lo, hi] : [lo, lo + 1];
  const palette = new Uint8Array(3 * (LEVELS + 1));
  for (let i = 0; i < LEVELS; i++) palette.set(COLORMAPS[chosen](i / (LEVELS - 1)), 3 * i);
  palette.set(NON_FINITE, 3 * LEVELS);
  const index = (v: number) =>
    Number.isFinite(v)
      ? Math.min(LEVELS - 1, Math.max(0, Math.round(((v - vmin) / (vmax - vmin)) * (LEVELS - 1))))
      : LEVELS;
  return { name: chosen, diverging, lo, hi, vmin, vmax, index, palette };
}

/** "rgb(r,g,b)" of a palette entry. */
export function paletteColour(scale: ColourScale, index: number): string {
  const p = scale.palette;
  return `rgb(${p[3 * index]},${p[3 * index + 1]},${p[3 * index + 2]})`;
}
