// div(v, c) = v / c: the var is the numerator; the const broadcasts (numpy).
import { at, atBroadcast, awayArr, fromFn, type RuleCase, ruleTests } from "./_rule_harness.ts";

function divCase(out: number[], constShape: number[]): RuleCase<"div"> {
  const c = awayArr(constShape, 4);
  return {
    name: `[${out}] by [${constShape}]`,
    in: [{ var: out }, { const: c }],
    params: () => ({}),
    out,
    oracle: ([v]) => fromFn(out, (i) => at(v, i) / atBroadcast(c, i)),
  };
}

ruleTests("div", [divCase([6, 4], [6, 4]), divCase([6, 4], [4]), divCase([2, 1, 3], [2, 1, 1]), divCase([4, 3], [])]);
