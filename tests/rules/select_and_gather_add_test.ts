// select_and_gather_add(v; positions, shape), per src/ir.ts: output entry j of batch row b
// reads entry positions[b, j] of row b of v (v flattened per row); the output has the
// positions' shape [B, ...outPerRow] (max pooling's tangent).
import { type Arr, at, fromFn, intArr, numel, type RuleCase, ruleTests, toTensor } from "./_rule_harness.ts";

function selectGatherCase(
  operand: number[],
  outPerRow: number[],
  bugs?: RuleCase<"select_and_gather_add">["bugs"],
): RuleCase<"select_and_gather_add"> {
  const [b, ...perRow] = operand;
  const out = [b, ...outPerRow];
  const positions: Arr = intArr(out, numel(perRow), 2);
  return {
    name: `[${operand}] at [${out}] positions`,
    in: [{ var: operand }],
    params: () => ({ positions: toTensor(positions, "int32"), shape: operand }),
    out,
    oracle: ([v]) => fromFn(out, (o) => v.data[o[0] * numel(perRow) + at(positions, o)]),
    bugs,
  };
}

// BUG: the rule reads positions as flat positions into the whole operand (rules/_select_gather.ts
// gatherFlat), not per batch row as src/ir.ts SelectGatherParams says; with B > 1 every row reads
// row 0, so apply differs from the definition and rows mix despite exampleAxis's claim.
const perRowBug = {
  oracle: "positions are read as whole-operand, not per-row, flat positions",
  exampleAxis: "rows > 0 read row 0",
};

ruleTests("select_and_gather_add", [
  selectGatherCase([1, 6], [3]),
  selectGatherCase([1, 4, 3], [2, 2]),
  selectGatherCase([2, 4, 3], [2, 3], perRowBug),
  selectGatherCase([3, 2, 2, 2], [2], perRowBug),
]);
