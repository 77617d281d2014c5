// add(a, b) = a + b on two var tangents of the output's shape (either may be a zero tangent).
import { type Arr, at, fromFn, type RuleCase, ruleTests } from "./_rule_harness.ts";

const sum = (ins: Arr[]) => fromFn(ins[0].shape, (i) => ins.reduce((s, a) => s + at(a, i), 0));

const addCase = (shape: number[]): RuleCase<"add"> => ({
  name: `[${shape}]`,
  in: [{ var: shape }, { var: shape }],
  params: () => ({}),
  out: shape,
  oracle: sum,
  flops: (basis) => basis * shape.reduce((a, b) => a * b, 1),
});

ruleTests("add", [addCase([6, 4]), addCase([2, 1, 3]), addCase([5]), addCase([])]);
