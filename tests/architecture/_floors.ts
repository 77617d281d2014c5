/**
 * The import graph of the library and the floors rule that ARCHITECTURE.md states: each library
 * file belongs to one floor; a floor imports only the floors its row lists, and only their public
 * files; `_x.ts` files are private to their folder; no cycles; nothing outside the library (tests/,
 * bench/) is imported. Edges: static `import`/`export … from`, dynamic `import("…")`, and
 * `new Worker(new URL("…", import.meta.url))`.
 * @module
 */

/** One floor: the files it holds, what it may import, and which of its files others may import. */
export interface Floor {
  name: string;
  /** Path prefixes (folders ending in "/") or exact file paths, relative to the root. */
  holds: string[];
  /** Names of the floors this one may import (besides itself). */
  mayImport: string[];
  /** Files other floors may import; absent: any file whose name does not start with "_". */
  public?: string[];
}

export type EdgeKind = "static" | "dynamic" | "worker";
export interface Edge {
  from: string;
  to: string;
  kind: EdgeKind;
}
export interface Violation {
  kind: "unlisted" | "upward" | "private" | "cycle" | "outside";
  message: string;
}

/** Source without comments (block comments, and line comments at a line start or after a space). */
function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|\s)\/\/.*$/gm, "$1");
}

const EDGE_PATTERNS: [EdgeKind, RegExp][] = [
  ["static", /(?:^|[;\s}])(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?["']([^"']+)["']/g],
  ["dynamic", /\bimport\(\s*["']([^"']+)["']\s*\)/g],
  ["worker", /new\s+Worker\(\s*new\s+URL\(\s*["']([^"']+)["']\s*,\s*import\.meta\.url/g],
];

/** A path relative to the root, normalized ("a/b/../c.ts" → "a/c.ts"). */
function normalize(path: string): string {
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "..") out.pop();
    else if (part !== "." && part !== "") out.push(part);
  }
  return out.join("/");
}

/** Every relative import edge of `file` (root-relative path), from its source text. */
export function edgesOf(file: string, source: string): Edge[] {
  const text = stripComments(source);
  const dir = file.includes("/") ? file.slice(0, file.lastIndexOf("/")) : "";
  const edges: Edge[] = [];
  for (const [kind, re] of EDGE_PATTERNS) {
    for (const m of text.matchAll(re)) {
      const spec = m[1];
      if (!spec.startsWith(".")) continue; // npm:, node:, bare specifiers
      edges.push({ from: file, to: normalize(`${dir}/${spec}`), kind });
    }
  }
  return edges;
}

/** The floor holding `file`, or null. */
export function floorOf(file: string, floors: Floor[]): Floor | null {
  return floors.find((f) => f.holds.some((h) => (h.endsWith("/") ? file.startsWith(h) : file === h))) ?? null;
}

/** Whether `to` may be imported from a file in `fromDir` across floors (public) or within a folder. */
function isPrivate(to: string): boolean {
  return /(^|\/)_[^/]*$/.test(to);
}

/** Checks `sources` (root-relative path → text) against the floors; returns every violation. */
export function checkFloors(sources: Map<string, string>, floors: Floor[]): { edges: Edge[]; violations: Violation[] } {
  const violations: Violation[] = [];
  const edges = [...sources].flatMap(([file, text]) => edgesOf(file, text));
  for (const file of sources.keys()) {
    if (!floorOf(file, floors)) violations.push({ kind: "unlisted", message: `${file} belongs to no floor` });
  }
  for (const e of edges) {
    const [a, b] = [floorOf(e.from, floors), floorOf(e.to, floors)];
    if (!a) continue;
    const how = e.kind === "static" ? "imports" : e.kind === "dynamic" ? "dynamically imports" : "starts a worker from";
    if (!b) {
      violations.push({ kind: "outside", message: `${e.from} ${how} ${e.to}, outside the library` });
      continue;
    }
    if (a !== b && !a.mayImport.includes(b.name)) {
      violations.push({ kind: "upward", message: `${e.from} (${a.name}) ${how} ${e.to} (${b.name})` });
    } else if (a !== b && (b.public ? !b.public.includes(e.to) : isPrivate(e.to))) {
      violations.push({ kind: "private", message: `${e.from} (${a.name}) ${how} ${e.to}, not public in ${b.name}` });
    } else if (a === b && isPrivate(e.to)) {
      const owner = e.to.slice(0, e.to.lastIndexOf("/") + 1);
      if (!e.from.startsWith(owner)) {
        violations.push({ kind: "private", message: `${e.from} ${how} ${e.to}, private to ${owner}` });
      }
    }
  }
  for (const cycle of cycles(edges.filter((e) => sources.has(e.to)))) {
    violations.push({ kind: "cycle", message: `import cycle: ${cycle.join(" → ")}` });
  }
  return { edges, violations };
}

/** The strongly connected components with more than one file (Tarjan), each as a list. */
function cycles(edges: Edge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const index = new Map<string, number>(), low = new Map<string, number>();
  const stack: string[] = [], on = new Set<string>(), out: string[][] = [];
  let counter = 0;
  const visit = (v: string) => {
    index.set(v, counter), low.set(v, counter++), stack.push(v), on.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) visit(w), low.set(v, Math.min(low.get(v)!, low.get(w)!));
      else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const comp: string[] = [];
      let w: string;
      do (w = stack.pop()!, on.delete(w), comp.push(w)); while (w !== v);
      if (comp.length > 1 || (next.get(v) ?? []).includes(v)) out.push(comp.sort());
    }
  };
  for (const v of next.keys()) if (!index.has(v)) visit(v);
  return out;
}
