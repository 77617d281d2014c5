// select_and_gather_add(v; positions, shape), per src/core/ir.ts: output entry j reads entry
// positions[j] of the flattened v; an entry of batch slot b only reads slot b (max pooling's
// tangent). The positions here are drawn within each entry's batch slot.
import { type Arr, at, fromFn, intArr, numel, type RuleCase, ruleTests, toTensor } from "./_rule_harness.ts";

function selectGatherCase(
  operand: number[],
  outPerRow: number[],
  bugs?: RuleCase<"select_and_gather_add">["bugs"],
): RuleCase<"select_and_gather_add"> {
  const [b, ...perRow] = operand;
  const out = [b, ...outPerRow];
  const within: Arr = intArr(out, numel(perRow), 2);
  const positions: Arr = fromFn(out, (o) => o[0] * numel(perRow) + at(within, o));
  return {
    name: `[${operand}] at [${out}] positions`,
    in: [{ var: operand }],
    params: () => ({ positions: toTensor(positions, "int32"), shape: operand }),
    out,
    oracle: ([v]) => fromFn(out, (o) => v.data[at(positions, o)]),
    bugs,
  };
}

ruleTests("select_and_gather_add", [
  selectGatherCase([1, 6], [3]),
  selectGatherCase([1, 4, 3], [2, 2]),
  selectGatherCase([2, 4, 3], [2, 3]),
  selectGatherCase([3, 2, 2, 2], [2]),
]);
