// neg(a) = −a.
import { at, fromFn, type RuleCase, ruleTests } from "./_rule_harness.ts";

const negCase = (shape: number[]): RuleCase<"neg"> => ({
  name: `[${shape}]`,
  in: [{ var: shape }],
  params: () => ({}),
  out: shape,
  oracle: ([a]) => fromFn(shape, (i) => -at(a, i)),
});

ruleTests("neg", [negCase([6, 4]), negCase([2, 1, 3]), negCase([])]);
