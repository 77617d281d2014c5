// reshape(v; newSizes): the same entries in row-major order under a new shape.
import { type RuleCase, ruleTests } from "./_rule_harness.ts";

const reshapeCase = (operand: number[], newSizes: number[]): RuleCase<"reshape"> => ({
  name: `[${operand}] → [${newSizes}]`,
  in: [{ var: operand }],
  params: () => ({ newSizes }),
  out: newSizes,
  oracle: ([v]) => ({ shape: newSizes, data: v.data.slice() }),
});

ruleTests("reshape", [
  reshapeCase([4, 3, 2], [12, 2]), // merge: rows of [4·3] sit on operand axis 0 with inner 3
  reshapeCase([3, 4, 2], [12, 2]),
  reshapeCase([4, 6], [4, 2, 3]), // split
  reshapeCase([6, 4], [2, 12]),
  reshapeCase([2, 3, 4], [4, 3, 2]), // neither a merge nor a split
  reshapeCase([1, 6], [6]),
  reshapeCase([6], [1, 6, 1]),
  reshapeCase([1], []),
  reshapeCase([4, 6, 5], [4, 2, 3, 5]), // axes that pair up around a split block
  reshapeCase([2, 3, 1, 4, 5], [6, 20]), // two merged blocks and a size-1 axis
]);
