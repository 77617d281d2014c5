/**
 * The report's figure, like the paper's Figure 1: time against width W on log–log axes, one
 * line per method, one panel per (O, N).
 */
export interface Series {
  label: string;
  colour: string;
  dashed?: boolean;
  /** (W, milliseconds) points; missing cells are simply absent. */
  points: [number, number][];
}

export interface Panel {
  title: string;
  series: Series[];
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");

export function figureSvg(panels: Panel[][], title: string, widths: number[]): string {
  const [pw, ph, m] = [250, 190, 46];
  const cols = Math.max(...panels.map((r) => r.length));
  const W = m + cols * (pw + m), H = 60 + panels.length * (ph + m) + 40;
  const all = panels.flat().flatMap((p) => p.series.flatMap((s) => s.points.map(([, t]) => t))).filter((t) => t > 0);
  const [lo, hi] = [Math.log10(Math.min(...all)) - 0.1, Math.log10(Math.max(...all)) + 0.1];
  const [wlo, whi] = [Math.log2(Math.min(...widths)), Math.log2(Math.max(...widths))];
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${m}" y="24" font-size="15">${esc(title)}</text>`,
  ];
  const legend = new Map<string, Series>();
  panels.forEach((row, r) =>
    row.forEach((panel, c) => {
      const x0 = m + c * (pw + m), y0 = 50 + r * (ph + m);
      const X = (w: number) => x0 + ((Math.log2(w) - wlo) / Math.max(1e-9, whi - wlo)) * pw;
      const Y = (t: number) => y0 + ph - ((Math.log10(t) - lo) / (hi - lo)) * ph;
      out.push(`<rect x="${x0}" y="${y0}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
      out.push(`<text x="${x0 + 4}" y="${y0 + 13}" font-weight="bold">${esc(panel.title)}</text>`);
      for (const w of widths) {
        out.push(`<line x1="${X(w)}" y1="${y0 + ph}" x2="${X(w)}" y2="${y0 + ph + 4}" stroke="#999"/>`);
        out.push(`<text x="${X(w)}" y="${y0 + ph + 15}" text-anchor="middle">${w}</text>`);
      }
      for (let d = Math.ceil(lo); d <= Math.floor(hi); d++) {
        const y = Y(10 ** d);
        out.push(`<line x1="${x0}" y1="${y}" x2="${x0 + pw}" y2="${y}" stroke="#eee"/>`);
        if (c === 0) {
          out.push(
            `<text x="${x0 - 4}" y="${y + 4}" text-anchor="end">${
              d >= 3 ? `${10 ** (d - 3)} s` : `${10 ** d} ms`
            }</text>`,
          );
        }
      }
      for (const s of panel.series) {
        legend.set(s.label, s);
        const pts = s.points.filter(([, t]) => t > 0).sort((a, b) => a[0] - b[0]);
        if (!pts.length) continue;
        const path = pts.map(([w, t], i) => `${i ? "L" : "M"}${X(w).toFixed(1)},${Y(t).toFixed(1)}`).join(" ");
        out.push(
          `<path d="${path}" fill="none" stroke="${s.colour}" stroke-width="2"${
            s.dashed ? ' stroke-dasharray="5,3"' : ""
          }/>`,
        );
        for (const [w, t] of pts) {
          out.push(`<circle cx="${X(w).toFixed(1)}" cy="${Y(t).toFixed(1)}" r="2.5" fill="${s.colour}"/>`);
        }
      }
    })
  );
  let lx = m;
  const ly = H - 16;
  for (const s of legend.values()) {
    out.push(
      `<line x1="${lx}" y1="${ly - 4}" x2="${lx + 22}" y2="${ly - 4}" stroke="${s.colour}" stroke-width="2"${
        s.dashed ? ' stroke-dasharray="5,3"' : ""
      }/>`,
    );
    out.push(`<text x="${lx + 26}" y="${ly}">${esc(s.label)}</text>`);
    lx += 30 + 7 * s.label.length;
  }
  out.push(
    `<text x="${W - m}" y="${H - 4}" text-anchor="end" fill="#666">width W (x), time (y), log–log</text>`,
    "</svg>",
  );
  return out.join("\n");
}
