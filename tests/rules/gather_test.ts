// gather(v; indices, axis): out[pre, j..., post] = v[pre, indices[j...], post].
import { type Arr, at, fromFn, intArr, type RuleCase, ruleTests, toTensor } from "./_rule_harness.ts";

function gatherCase(operand: number[], indexShape: number[], axis: number, seed = 1): RuleCase<"gather"> {
  const indices: Arr = intArr(indexShape, operand[axis], seed);
  const out = [...operand.slice(0, axis), ...indexShape, ...operand.slice(axis + 1)];
  const k = indexShape.length;
  return {
    name: `[${operand}] at [${indexShape}] indices along ${axis}`,
    in: [{ var: operand }],
    params: () => ({ indices: toTensor(indices, "int32"), axis }),
    out,
    oracle: ([v]) =>
      fromFn(out, (o) => at(v, [...o.slice(0, axis), at(indices, o.slice(axis, axis + k)), ...o.slice(axis + k)])),
  };
}

ruleTests("gather", [
  gatherCase([5, 3], [6], 0), // an embedding table: rows along the indices share the operand
  gatherCase([4, 6], [2, 3], 1),
  gatherCase([3, 5, 2], [4, 2], 1),
  gatherCase([6, 2], [6, 2], 0, 3), // duplicate indices
  gatherCase([2, 4, 1], [3], 2),
  gatherCase([5, 3], [], 0), // a scalar index drops the axis
]);
