// The kernel table (adapters/kernels/mod.ts): one flat list, every required kernel, a name given
// twice refused at load, every kernel file in use, and no two file names that differ only in case
// (tfjs's `Mod` kernel beside mod.ts would clash on a case-insensitive file system).
import assert from "node:assert/strict";
import { KERNELS, kernelTable } from "../../adapters/kernels/mod.ts";
import { REQUIRED_KERNELS } from "../../adapters/kernels/required.ts";

const DIR = new URL("../../adapters/kernels/", import.meta.url).pathname;

Deno.test("kernel table: every required kernel, and a name given twice is refused", () => {
  for (const k of REQUIRED_KERNELS) assert.ok(Object.hasOwn(KERNELS, k), k);
  assert.throws(() => kernelTable({ Relu: KERNELS.Relu }, { Relu: KERNELS.Tanh }), /lists Relu twice/);
  assert.equal(Object.keys(kernelTable({ Relu: KERNELS.Relu }, { Tanh: KERNELS.Tanh })).length, 2);
});

Deno.test("kernel table: every kernel file is in the table; no file names differ only in case", async () => {
  const files = [...Deno.readDirSync(DIR)].filter((e) => e.isFile).map((e) => e.name);
  const lower = new Map<string, string>();
  for (const f of files) {
    assert.ok(!lower.has(f.toLowerCase()), `${f} and ${lower.get(f.toLowerCase())} clash`);
    lower.set(f.toLowerCase(), f);
  }
  const table = await Deno.readTextFile(`${DIR}mod.ts`);
  const kernelFiles = files.filter((f) => /^[A-Z]\w*\.ts$|^_FusedMatMul\.ts$/.test(f));
  assert.ok(kernelFiles.length >= 100, `${kernelFiles.length} kernel files`);
  for (const f of kernelFiles) assert.ok(table.includes(`"./${f}"`), `${f} is not imported by the table`);
});
