/**
 * The issue-15 suite at smoke size: every cell's kernel, by every method that ran, equals
 * PyTorch's on the same weights and inputs within 1e-3·max|K| (and, without PyTorch, each
 * method equals the first). Times are not asserted: this machine is shared.
 */
import assert from "node:assert/strict";
import { runSuite, SUITE_METHODS } from "../../bench/suite/suite.ts";

const PYTHON = "/usr/bin/python3";

async function hasTorch(): Promise<boolean> {
  try {
    const r = await new Deno.Command(PYTHON, { args: ["-c", "import torch, torchvision, functorch"] }).output();
    return r.code === 0;
  } catch {
    return false;
  }
}

Deno.test("suite at smoke size: fast-ntk's traced kernels equal PyTorch's within 1e-3·max|K|", async () => {
  const torch = await hasTorch();
  if (!torch) {
    console.warn("PyTorch (Debian's python3-torch) is not installed: the methods are checked against each other");
  }
  const rep = await runSuite({
    smoke: true,
    backend: "wasm",
    torch,
    python: PYTHON,
    reps: 1,
    onceS: 0,
    budgetS: 300,
    peerBudgetS: 300,
    log: () => {},
  });
  assert.equal(rep.cells.length, 5);
  for (const cell of rep.cells) {
    // The roofline's formulas count the same parameters as the model holds.
    assert.equal(cell.roofline.params, cell.params, `${cell.id}: parameters by formula`);
    assert.ok(cell.roofline.boundMs > 0 && Number.isFinite(cell.roofline.boundMs), `${cell.id}: bound`);
    if (torch) {
      assert.ok(cell.torch?.median !== undefined, `${cell.id}: PyTorch ran (${JSON.stringify(cell.torch)})`);
      assert.ok(Math.abs(cell.torch!.params! - cell.params) <= 1e-3 * cell.params, `${cell.id}: parameter counts`);
    }
    for (const m of SUITE_METHODS) {
      const r = cell.results[m];
      assert.ok(r && !r.error && !r.skipped, `${cell.id} ${m}: ${JSON.stringify(r)}`);
      const d = torch ? r.agreement! : r.agreementInternal!;
      assert.ok(d <= 1e-3, `${cell.id} ${m}: max|K − K_ref| / max|K_ref| = ${d}`);
    }
  }
});
