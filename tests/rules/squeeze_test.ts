// squeeze(v; dimensions): drops size-1 axes; the entries keep their row-major order.
import { type RuleCase, ruleTests } from "./_rule_harness.ts";

function squeezeCase(operand: number[], dimensions: number[]): RuleCase<"squeeze"> {
  const out = operand.filter((_, i) => !dimensions.includes(i));
  return {
    name: `[${operand}] without [${dimensions}]`,
    in: [{ var: operand }],
    params: () => ({ dimensions }),
    out,
    oracle: ([v]) => ({ shape: out, data: v.data.slice() }),
  };
}

ruleTests("squeeze", [
  squeezeCase([6, 1, 4], [1]),
  squeezeCase([1, 6, 1], [0, 2]),
  squeezeCase([6, 1], [1]),
  squeezeCase([1, 1, 4], [0]),
  squeezeCase([1], [0]),
]);
