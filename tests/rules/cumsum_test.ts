// cumsum(v; axis, exclusive, reverse): running sums along `axis`.
import { at, fromFn, type RuleCase, ruleTests } from "./_rule_harness.ts";

function cumsumCase(operand: number[], axis: number, exclusive: boolean, reverse: boolean): RuleCase<"cumsum"> {
  const n = operand[axis];
  return {
    name: `[${operand}] along ${axis}${exclusive ? ", exclusive" : ""}${reverse ? ", reverse" : ""}`,
    in: [{ var: operand }],
    params: () => ({ axis, exclusive, reverse }),
    out: operand,
    oracle: ([v]) =>
      fromFn(operand, (o) => {
        let s = 0;
        for (let j = 0; j < n; j++) {
          const before = reverse ? j > o[axis] : j < o[axis];
          if (before || (!exclusive && j === o[axis])) s += at(v, o.map((x, a) => (a === axis ? j : x)));
        }
        return s;
      }),
  };
}

ruleTests("cumsum", [
  cumsumCase([6, 4], 1, false, false),
  cumsumCase([6, 4], 1, true, false),
  cumsumCase([6, 4], 1, false, true),
  cumsumCase([6, 4], 1, true, true),
  cumsumCase([4, 3, 2], 0, false, false),
  cumsumCase([5], 0, true, true),
  cumsumCase([2, 1, 3], 1, true, false),
]);
