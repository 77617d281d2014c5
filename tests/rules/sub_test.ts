// sub(a, b) = a − b on two var tangents of the output's shape (either may be a zero tangent).
import { at, fromFn, type RuleCase, ruleTests } from "./_rule_harness.ts";

const subCase = (shape: number[]): RuleCase<"sub"> => ({
  name: `[${shape}]`,
  in: [{ var: shape }, { var: shape }],
  params: () => ({}),
  out: shape,
  oracle: ([a, b]) => fromFn(shape, (i) => at(a, i) - at(b, i)),
});

ruleTests("sub", [subCase([6, 4]), subCase([2, 1, 3]), subCase([5])]);
