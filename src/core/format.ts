/**
 * Sizes and durations as people read them, for messages.
 * @module
 */

/** Bytes with a unit and three significant digits: 105 B, 1.27 MiB, 2 GiB. */
export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let u = 0;
  while (u < units.length - 1 && n >= 1024) {
    n /= 1024;
    u++;
  }
  return `${u === 0 ? Math.round(n) : Number(n.toPrecision(3))} ${units[u]}`;
}

/** Milliseconds as ms below a second, else seconds, three significant digits. */
export function formatMs(ms: number): string {
  return ms < 1000 ? `${Number(ms.toPrecision(3))} ms` : `${Number((ms / 1000).toPrecision(3))} s`;
}
