// transpose(v; permutation): output axis i is operand axis permutation[i].
import { at, fromFn, type RuleCase, ruleTests } from "./_rule_harness.ts";

function transposeCase(operand: number[], permutation: number[]): RuleCase<"transpose"> {
  const out = permutation.map((p) => operand[p]);
  return {
    name: `[${operand}] by [${permutation}]`,
    in: [{ var: operand }],
    params: () => ({ permutation }),
    out,
    oracle: ([v]) =>
      fromFn(out, (o) => {
        const idx = operand.map(() => 0);
        permutation.forEach((p, i) => (idx[p] = o[i]));
        return at(v, idx);
      }),
  };
}

ruleTests("transpose", [
  transposeCase([4, 3, 2], [2, 0, 1]),
  transposeCase([6, 4], [1, 0]),
  transposeCase([4, 1, 3, 2], [3, 1, 0, 2]),
  transposeCase([3, 2], [0, 1]),
]);
