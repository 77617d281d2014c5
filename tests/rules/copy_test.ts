// copy: the identity.
import { at, fromFn, type RuleCase, ruleTests } from "./_rule_harness.ts";

const copyCase = (shape: number[]): RuleCase<"copy"> => ({
  name: `[${shape}]`,
  in: [{ var: shape }],
  params: () => ({}),
  out: shape,
  oracle: ([a]) => fromFn(shape, (i) => at(a, i)),
});

ruleTests("copy", [copyCase([6, 4]), copyCase([2, 1, 3]), copyCase([])]);
