// add_any(a, b, ...): the sum of several var tangents of the output's shape.
import { type Arr, at, fromFn, numel, type RuleCase, ruleTests } from "./_rule_harness.ts";

const sum = (ins: Arr[]) => fromFn(ins[0].shape, (i) => ins.reduce((s, a) => s + at(a, i), 0));

const addAnyCase = (shape: number[], parts: number): RuleCase<"add_any"> => ({
  name: `${parts} parts of [${shape}]`,
  in: Array.from({ length: parts }, () => ({ var: shape })),
  params: () => ({}),
  out: shape,
  oracle: sum,
  // One addition per output entry for each part after the first.
  flops: (basis) => basis * numel(shape) * (parts - 1),
});

ruleTests("add_any", [addAnyCase([6, 4], 3), addAnyCase([2, 1, 3], 2), addAnyCase([4], 4)]);
