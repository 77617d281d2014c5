// zeros_like: the zero map (a kernel whose derivative vanishes).
import { type RuleCase, ruleTests, zerosArr } from "./_rule_harness.ts";

const zerosCase = (shape: number[]): RuleCase<"zeros_like"> => ({
  name: `[${shape}]`,
  in: [{ var: shape }],
  params: () => ({}),
  out: shape,
  oracle: () => zerosArr(shape),
});

ruleTests("zeros_like", [zerosCase([6, 4]), zerosCase([2, 1, 3]), zerosCase([])]);
