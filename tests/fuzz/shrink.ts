/**
 * Greedy shrinking of a failing program spec: drop layers, shrink batch and feature sizes, zero
 * the layers' integer choices, use fresh weights, keep the axes simple — keeping each step that
 * still fails with the same class. (fast-check shrinks inside `fc.assert`; the campaign keeps
 * going after a failure, so it shrinks its counterexamples with this.)
 * @module
 */
import { buildProgram, type LayerSpec, type Program, type ProgramSpec } from "./grammar.ts";

/** Candidate one-step simplifications of a spec. */
function* candidates(s: ProgramSpec): Generator<ProgramSpec> {
  for (let i = 0; i < s.layers.length; i++) {
    if (s.layers.length > 1) yield { ...s, layers: s.layers.filter((_, j) => j !== i) };
  }
  if (s.outRank) yield { ...s, outRank: 0 };
  if (s.tokens) yield { ...s, tokens: false };
  if (s.n2 !== null) yield { ...s, n2: null };
  for (const k of ["n1", "n2"] as const) {
    const v = s[k];
    if (v !== null && v > 1) yield { ...s, [k]: v - 1 };
  }
  for (let i = 0; i < s.feat.length; i++) {
    if (s.feat.length > 1) yield { ...s, feat: s.feat.filter((_, j) => j !== i) };
    if (s.feat[i] > 1) yield { ...s, feat: s.feat.map((d, j) => (j === i ? d - 1 : d)) };
  }
  if (s.axes !== 0) yield { ...s, axes: 0 };
  for (let i = 0; i < s.layers.length; i++) {
    const L = s.layers[i];
    const set = (patch: Partial<LayerSpec>) => ({
      ...s,
      layers: s.layers.map((x, j) => (j === i ? { ...x, ...patch } : x)),
    });
    if (L.w !== "fresh") yield set({ w: "fresh" });
    for (const k of ["a", "b", "c"] as const) {
      if (L[k] > 0) yield set({ [k]: 0 });
      if (L[k] > 1) yield set({ [k]: L[k] - 1 });
    }
  }
}

/**
 * Shrinks `spec` while `fails(program)` returns `cls` (the same failure class).
 * @returns the smallest failing program found
 */
export async function shrink(
  spec: ProgramSpec,
  cls: string,
  fails: (p: Program) => Promise<string | null>,
  maxSteps = 300,
): Promise<Program> {
  let best = buildProgram(spec);
  let steps = 0;
  let progress = true;
  while (progress && steps < maxSteps) {
    progress = false;
    for (const c of candidates(best.spec)) {
      if (++steps > maxSteps) break;
      let p: Program;
      try {
        p = buildProgram(c);
      } catch {
        continue;
      }
      if ((await fails(p)) === cls) {
        best = p;
        progress = true;
        break;
      }
    }
  }
  return best;
}
