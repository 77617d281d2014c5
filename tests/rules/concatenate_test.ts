// concatenate(p1, p2, ...; dimension, sizes): parts along `dimension`; a const part is zero.
import { type Arr, at, fromFn, type RuleCase, ruleTests } from "./_rule_harness.ts";

/** `parts[k]` is the size of part k along `dimension`, negative for a const (zero) part. */
function concatCase(base: number[], dimension: number, parts: number[]): RuleCase<"concatenate"> {
  const sizes = parts.map(Math.abs);
  const shapeOf = (s: number) => base.map((x, i) => (i === dimension ? s : x));
  const out = shapeOf(sizes.reduce((a, b) => a + b, 0));
  return {
    name: `parts [${parts}] of [${base}] along ${dimension}`,
    in: parts.map((s) => (s > 0 ? { var: shapeOf(s) } : { const: { shape: [], data: new Float64Array(1) } })),
    params: () => ({ dimension, sizes }),
    out,
    oracle: (ins: Arr[]) =>
      fromFn(out, (o) => {
        let i = o[dimension], k = 0;
        while (i >= sizes[k]) i -= sizes[k++];
        return parts[k] < 0 ? 0 : at(ins[k], o.map((x, a) => (a === dimension ? i : x)));
      }),
  };
}

ruleTests("concatenate", [
  concatCase([0, 4], 0, [2, 4]),
  concatCase([6, 0], 1, [1, -2, 3]),
  concatCase([2, 0, 3], 1, [2, 2]),
  concatCase([4, 3, 0], 2, [-1, 1]),
]);
