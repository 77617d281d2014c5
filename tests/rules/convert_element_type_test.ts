// convert_element_type to float32: the identity on values.
import { at, fromFn, type RuleCase, ruleTests } from "./_rule_harness.ts";

const convertCase = (shape: number[]): RuleCase<"convert_element_type"> => ({
  name: `[${shape}]`,
  in: [{ var: shape }],
  params: () => ({ dtype: "float32" }),
  out: shape,
  oracle: ([a]) => fromFn(shape, (i) => at(a, i)),
});

ruleTests("convert_element_type", [convertCase([6, 4]), convertCase([2, 1, 3]), convertCase([])]);
