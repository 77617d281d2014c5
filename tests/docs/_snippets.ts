/**
 * The documented code: README.md's fenced blocks and the `@example` blocks of mod.ts and of every
 * file it exports from. Each ts snippet starts with `// deno run <flags>`: the permissions it needs.
 */
import assert from "node:assert/strict";

export const ROOT = new URL("../../", import.meta.url);
export const ROOT_PATH = ROOT.pathname;
export const README = Deno.readTextFileSync(new URL("README.md", ROOT));

export interface Snippet {
  name: string;
  code: string;
  flags: string[];
}

/** The bodies of the fenced blocks of one language, in order. */
export function fences(markdown: string, lang: string): string[] {
  return [...markdown.matchAll(new RegExp("^```" + lang + "\\n([\\s\\S]*?)^```$", "gm"))].map((m) => m[1]);
}

/** The permission flags on a snippet's first line; never -A. */
export function flagsOf(name: string, code: string): string[] {
  const first = code.split("\n")[0];
  const m = first.match(/^\/\/ deno run((?: --allow-[a-z-]+(?:=\S+)?)*)\s*$/);
  assert.ok(m, `${name}: the first line must be "// deno run <permission flags>", got ${JSON.stringify(first)}`);
  const flags = m[1].trim().split(/\s+/).filter(Boolean);
  assert.ok(!flags.includes("--allow-all"), `${name}: no --allow-all`);
  return flags;
}

/** mod.ts and every file it re-exports from. */
export function exportedFiles(): string[] {
  const mod = Deno.readTextFileSync(new URL("mod.ts", ROOT));
  const files = [...mod.matchAll(/^export [^;]*? from "\.\/([^"]+)";/gms)].map((m) => m[1]);
  return ["mod.ts", ...new Set(files)];
}

/** The ts code of every `@example` in a file, the JSDoc's " * " taken off. */
export function examplesOf(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(/@example[^\n]*\n\s*\* ```ts\n([\s\S]*?)\n\s*\* ```/g)) {
    out.push(m[1].split("\n").map((l) => l.replace(/^\s*\* ?/, "")).join("\n"));
  }
  return out;
}

export function readmeSnippets(): Snippet[] {
  return fences(README, "ts").map((code, i) => ({
    name: `README ts block ${i + 1}`,
    code,
    flags: flagsOf(`README ts block ${i + 1}`, code),
  }));
}

export function exampleSnippets(): Snippet[] {
  return exportedFiles().flatMap((file) =>
    examplesOf(Deno.readTextFileSync(new URL(file, ROOT))).map((code, i) => {
      const name = `${file} @example ${i + 1}`;
      return { name, code, flags: flagsOf(name, code) };
    })
  );
}
