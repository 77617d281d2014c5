// rev(v; dimensions): reverses the listed axes.
import { at, fromFn, type RuleCase, ruleTests } from "./_rule_harness.ts";

const revCase = (operand: number[], dimensions: number[]): RuleCase<"rev"> => ({
  name: `[${operand}] along [${dimensions}]`,
  in: [{ var: operand }],
  params: () => ({ dimensions }),
  out: operand,
  oracle: ([v]) => fromFn(operand, (o) => at(v, o.map((x, i) => (dimensions.includes(i) ? operand[i] - 1 - x : x)))),
});

ruleTests("rev", [revCase([6, 4], [0]), revCase([4, 3, 2], [1, 2]), revCase([6, 4], []), revCase([1, 5], [0, 1])]);
