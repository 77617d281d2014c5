// The floors of ARCHITECTURE.md, held: every library file (mod.ts, src/, adapters/, rules/) is in
// one floor of FLOORS and imports only downward, only public files of other floors, no cycle, and
// nothing outside the library. A fixture proves each kind of violation is caught.
import assert from "node:assert/strict";
import { checkFloors, type Floor } from "./architecture/_floors.ts";

/** The floors, lowest first (ARCHITECTURE.md has the same table). */
export const FLOORS: Floor[] = [
  { name: "core", holds: ["src/core/"], mayImport: [] },
  { name: "backends", holds: ["src/backends/"], mayImport: ["core"] },
  { name: "rules", holds: ["rules/"], mayImport: ["core"], public: ["rules/mod.ts"] },
  {
    name: "adapters",
    holds: ["adapters/"],
    mayImport: ["core"],
    public: ["adapters/trace.ts", "adapters/layers.ts", "adapters/io.ts"],
  },
  { name: "engine", holds: ["src/ntk/"], mayImport: ["core", "backends", "rules"] },
  {
    name: "api",
    holds: ["src/api/", "src/toolkit/", "src/parallel/"],
    mayImport: ["core", "backends", "rules", "adapters", "engine"],
  },
  {
    name: "entry",
    holds: [
      "mod.ts",
      "src/cli.ts",
      "src/cli_compute.ts",
      "src/cli_common.ts",
      "src/cli_flags.ts",
      "src/cli_jobs.ts",
      "src/cli_gram.ts",
      "src/cli_regress.ts",
    ],
    mayImport: ["core", "backends", "rules", "adapters", "engine", "api"],
  },
];

const ROOT = new URL("../", import.meta.url).pathname;

async function librarySources(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(`${root}${dir}`)) {
      const path = dir ? `${dir}/${e.name}` : e.name;
      if (e.isDirectory) await walk(path);
      else if (/\.(ts|js)$/.test(e.name)) out.set(path, await Deno.readTextFile(`${root}${path}`));
    }
  };
  for (const dir of ["src", "adapters", "rules"]) await walk(dir);
  out.set("mod.ts", await Deno.readTextFile(`${root}mod.ts`));
  return out;
}

Deno.test("architecture: every library file is in a floor and imports only downward, publicly, without cycles", async () => {
  const sources = await librarySources(ROOT);
  const { edges, violations } = checkFloors(sources, FLOORS);
  assert.ok(sources.size > 150 && edges.length > 400, `${sources.size} files, ${edges.length} edges`);
  assert.ok(edges.some((e) => e.kind === "worker"), "the parallel pool's worker edge is seen");
  assert.deepEqual(violations.map((v) => `${v.kind}: ${v.message}`), []);
});

Deno.test("architecture: the checker catches each kind of violation (fixture)", () => {
  const floors: Floor[] = [
    { name: "low", holds: ["low/"], mayImport: [] },
    { name: "high", holds: ["high/"], mayImport: ["low"], public: undefined },
  ];
  const fixture = new Map<string, string>([
    ["low/a.ts", `import { b } from "../high/b.ts";\nexport const a = 1;`], // upward
    ["low/c.ts", `import "./d.ts";`], // cycle c → d → c
    ["low/d.ts", `export * from "./c.ts";`],
    ["low/sub/_private.ts", `export const p = 1;`],
    ["high/b.ts", `import { p } from "../low/sub/_private.ts";\n// import "../tests/ignored_in_comment.ts";`], // private
    ["high/e.ts", `const m = await import("../bench/x.ts");`], // dynamic, outside
    ["high/f.ts", `new Worker(new URL("../low/sub/_private.ts", import.meta.url), { type: "module" });`], // worker, private
    ["stray/g.ts", `export const g = 1;`], // unlisted
  ]);
  const { edges, violations } = checkFloors(fixture, floors);
  const kinds = violations.map((v) => v.kind).sort();
  assert.deepEqual(kinds, ["cycle", "outside", "private", "private", "unlisted", "upward"], JSON.stringify(violations));
  assert.ok(!edges.some((e) => e.to.includes("ignored_in_comment")), "commented imports are not edges");
  assert.deepEqual(new Set(edges.map((e) => e.kind)), new Set(["static", "dynamic", "worker"]));
});
