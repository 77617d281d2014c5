// slice(v; start, limit, strides): entries start + i·stride below limit, per axis.
import { at, fromFn, type RuleCase, ruleTests } from "./_rule_harness.ts";

function sliceCase(
  operand: number[],
  start: number[],
  limit: number[],
  strides: number[],
  bugs?: RuleCase<"slice">["bugs"],
): RuleCase<"slice"> {
  const out = operand.map((_, k) => Math.ceil((limit[k] - start[k]) / strides[k]));
  return {
    name: `[${operand}] from [${start}] to [${limit}] by [${strides}]`,
    in: [{ var: operand }],
    params: () => ({ start, limit, strides }),
    out,
    oracle: ([v]) => fromFn(out, (o) => at(v, o.map((x, k) => start[k] + x * strides[k]))),
    bugs,
  };
}

ruleTests("slice", [
  sliceCase([6, 4], [1, 0], [5, 4], [1, 1]),
  sliceCase([6, 4], [0, 1], [6, 4], [2, 2]),
  sliceCase([6, 3, 2], [0, 0, 0], [6, 3, 2], [1, 1, 1]), // the whole operand
  sliceCase([6, 3, 2], [0, 1, 0], [6, 3, 2], [1, 1, 1]),
  sliceCase([7], [2], [7], [3]),
  sliceCase([6, 5], [1, 0], [6, 4], [2, 3]),
  sliceCase([4, 3], [0, 2], [4, 3], [1, 1]),
]);
