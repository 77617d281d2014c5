// No library function over 80 lines (mod.ts, src/, adapters/, rules/; nested closures count
// within their parent): a long function is split into named steps.
import assert from "node:assert/strict";
import ts from "typescript";

const ROOT = new URL("../../", import.meta.url).pathname;
const LIMIT = 80;

/** Every function-like node with a body over `limit` lines, as "file name": lines. */
export function longFunctions(file: string, source: string, limit = LIMIT): Map<string, number> {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true);
  const out = new Map<string, number>();
  const nameOf = (n: ts.Node): string => {
    const named = (n as ts.FunctionDeclaration).name;
    if (named) return named.getText(sf);
    const p = n.parent;
    if (ts.isVariableDeclaration(p) || ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p)) {
      return p.name.getText(sf);
    }
    return "(anonymous)";
  };
  const visit = (n: ts.Node) => {
    if (ts.isFunctionLike(n) && (n as ts.FunctionLikeDeclaration).body) {
      const lines = sf.getLineAndCharacterOfPosition(n.getEnd()).line -
        sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
      if (lines > limit) out.set(`${file} ${nameOf(n)}`, lines);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

function libraryFiles(): string[] {
  const files = ["mod.ts"];
  const walk = (dir: string) => {
    for (const e of Deno.readDirSync(`${ROOT}${dir}`)) {
      const p = `${dir}/${e.name}`;
      if (e.isDirectory) walk(p);
      else if (p.endsWith(".ts")) files.push(p);
    }
  };
  ["src", "adapters", "rules"].forEach(walk);
  return files;
}

Deno.test("functions: no library function over 80 lines", () => {
  const found: string[] = [];
  for (const f of libraryFiles()) {
    for (const [k, v] of longFunctions(f, Deno.readTextFileSync(`${ROOT}${f}`))) {
      found.push(`${k}: ${v} lines (limit ${LIMIT})`);
    }
  }
  assert.deepEqual(found, []);
});

Deno.test("functions: the counter sees long arrow functions, methods and closures (fixture)", () => {
  const body = Array.from({ length: 85 }, (_, i) => `  x += ${i};`).join("\n");
  const src = `export const arrow = () => {\n  let x = 0;\n${body}\n  return x;\n};\n` +
    `class C {\n  method() {\n    let x = 0;\n${body}\n    return x;\n  }\n}\n` +
    `export function outer() {\n  const inner = () => {\n    let x = 0;\n${body}\n    return x;\n  };\n  return inner;\n}\n` +
    `export function short() {\n  return 1;\n}\n`;
  const found = longFunctions("fixture.ts", src);
  assert.deepEqual([...found.keys()].sort(), [
    "fixture.ts arrow",
    "fixture.ts inner",
    "fixture.ts method",
    "fixture.ts outer",
  ]);
});
