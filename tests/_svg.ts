// Reading the figures back for tests: the SVG parsed as XML (malformed markup fails), text boxes
// estimated independently of the library (0.6 em per character), and embedded PNGs decoded.
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { inflateSync } from "node:zlib";
import { DOMParser, type Element } from "@xmldom/xmldom";

/** The parsed document's root; any XML error throws. */
export function parseSvg(svg: string): Element {
  const doc = new DOMParser({
    onError: (level, message) => {
      throw new Error(`SVG is not well-formed XML (${level}): ${message}`);
    },
  }).parseFromString(svg, "image/svg+xml");
  const root = doc.documentElement!;
  assert.equal(root.tagName, "svg");
  return root;
}

/** Every element named `tag` under `root`, in document order. */
export const all = (root: Element, tag: string): Element[] => Array.from(root.getElementsByTagName(tag));

/** Elements named `tag` whose class is `cls`. */
export const byClass = (root: Element, tag: string, cls: string): Element[] =>
  all(root, tag).filter((e) => e.getAttribute("class") === cls);

export const num = (e: Element, name: string): number => Number(e.getAttribute(name));

/** The text elements' contents with their class. */
export const texts = (root: Element, cls?: string): string[] =>
  all(root, "text").filter((e) => !cls || e.getAttribute("class") === cls).map((e) => e.textContent ?? "");

export function viewBox(root: Element): { x: number; y: number; w: number; h: number } {
  const [x, y, w, h] = root.getAttribute("viewBox")!.split(/\s+/).map(Number);
  return { x, y, w, h };
}

/**
 * A text's box: width 0.6 · size · characters, from 1 em above the baseline to 0.3 em below, turned
 * by a "rotate(-90 x y)" transform.
 */
export function textBox(t: Element, fallbackSize = 12) {
  const size = Number(t.getAttribute("font-size") ?? fallbackSize);
  const [x, y] = [num(t, "x"), num(t, "y")];
  const w = 0.6 * size * [...(t.textContent ?? "")].length;
  const anchor = t.getAttribute("text-anchor") ?? "start";
  const start = anchor === "start" ? 0 : anchor === "middle" ? -w / 2 : -w;
  const transform = t.getAttribute("transform");
  if (transform) {
    assert.equal(transform, `rotate(-90 ${t.getAttribute("x")} ${t.getAttribute("y")})`);
    // Reading upward: the text's start is at the bottom.
    return { x0: x - size, x1: x + 0.3 * size, y0: y - start - w, y1: y - start };
  }
  return { x0: x + start, x1: x + start + w, y0: y - size, y1: y + 0.3 * size };
}

/** The texts that stick out of the viewBox, as messages (empty when all fit). */
export function textsOutside(root: Element): string[] {
  const vb = viewBox(root);
  return all(root, "text").flatMap((t) => {
    const b = textBox(t);
    const inside = b.x0 >= vb.x && b.x1 <= vb.x + vb.w && b.y0 >= vb.y && b.y1 <= vb.y + vb.h;
    return inside ? [] : [`"${t.textContent}" at ${JSON.stringify(b)} outside ${JSON.stringify(vb)}`];
  });
}

/** CRC-32 (IEEE), bit by bit: an oracle independent of node:zlib's. */
export function crc32Slow(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

/** Decodes an indexed 8-bit PNG (filter 0 rows), checking the signature and every chunk's CRC. */
export function decodeIndexedPng(png: Uint8Array) {
  assert.deepEqual([...png.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10]);
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let [width, height, palette, idat] = [0, 0, new Uint8Array(0), [] as Uint8Array[]];
  for (let p = 8; p < png.length;) {
    const len = view.getUint32(p), type = String.fromCharCode(...png.subarray(p + 4, p + 8));
    assert.equal(view.getUint32(p + 8 + len), crc32Slow(png.subarray(p + 4, p + 8 + len)), `${type} CRC`);
    const data = png.subarray(p + 8, p + 8 + len);
    if (type === "IHDR") {
      [width, height] = [view.getUint32(p + 8), view.getUint32(p + 12)];
      assert.deepEqual([...data.subarray(8)], [8, 3, 0, 0, 0], "8-bit indexed, no interlace");
    } else if (type === "PLTE") palette = data.slice();
    else if (type === "IDAT") idat.push(data);
    p += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  assert.equal(raw.length, (width + 1) * height);
  const indices = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    assert.equal(raw[y * (width + 1)], 0, "filter type 0");
    indices.set(raw.subarray(y * (width + 1) + 1, (y + 1) * (width + 1)), y * width);
  }
  const rgb = (x: number, y: number) => {
    const k = indices[y * width + x];
    return [palette[3 * k], palette[3 * k + 1], palette[3 * k + 2]];
  };
  return { width, height, palette, indices, rgb };
}

/** The PNG behind an `<image>`'s data URI. */
export function imagePng(e: Element) {
  const href = e.getAttribute("href")!;
  assert.ok(href.startsWith("data:image/png;base64,"), href.slice(0, 40));
  return decodeIndexedPng(Uint8Array.from(atob(href.slice(22)), (c) => c.charCodeAt(0)));
}
