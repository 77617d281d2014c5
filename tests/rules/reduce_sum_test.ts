// reduce_sum(v; axes): sums the operand over `axes`; kept axes keep their order.
import { type Arr, at, fromFn, numel, type RuleCase, ruleTests, unravel } from "./_rule_harness.ts";

function reduceSumCase(operand: number[], axes: number[]): RuleCase<"reduce_sum"> {
  const kept = operand.flatMap((_, i) => (axes.includes(i) ? [] : [i]));
  const out = kept.map((i) => operand[i]);
  const summed = axes.map((a) => operand[a]);
  return {
    name: `[${operand}] over [${axes}]`,
    in: [{ var: operand }],
    params: () => ({ axes }),
    out,
    oracle: ([v]: Arr[]) =>
      fromFn(out, (o) => {
        let s = 0;
        for (let f = 0; f < numel(summed); f++) {
          const idx = operand.map(() => 0);
          kept.forEach((a, k) => (idx[a] = o[k]));
          unravel(f, summed).forEach((x, k) => (idx[axes[k]] = x));
          s += at(v, idx);
        }
        return s;
      }),
    // One addition per operand entry and basis vector.
    flops: (basis) => basis * numel(operand),
  };
}

ruleTests("reduce_sum", [
  reduceSumCase([6, 3, 2], [1]),
  reduceSumCase([4, 3, 2], [0, 2]),
  reduceSumCase([2, 3, 4], [2, 0]),
  reduceSumCase([6, 1, 3], [1]),
  reduceSumCase([4, 3], [0, 1]),
]);
