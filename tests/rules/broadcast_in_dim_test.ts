// broadcast_in_dim(v; shape, broadcastDimensions): operand axis k lands on output axis
// broadcastDimensions[k] (same size, or 1 and repeated); the other output axes are new.
import { at, fromFn, type RuleCase, ruleTests } from "./_rule_harness.ts";

function broadcastCase(
  operand: number[],
  shape: number[],
  broadcastDimensions: number[],
): RuleCase<"broadcast_in_dim"> {
  return {
    name: `[${operand}] → [${shape}] along [${broadcastDimensions}]`,
    in: [{ var: operand }],
    params: () => ({ shape, broadcastDimensions }),
    out: shape,
    oracle: ([v]) => fromFn(shape, (o) => at(v, operand.map((s, k) => (s === 1 ? 0 : o[broadcastDimensions[k]])))),
  };
}

ruleTests("broadcast_in_dim", [
  broadcastCase([4], [6, 4], [1]), // a new leading axis: rows there read the whole operand
  broadcastCase([6, 1], [6, 4], [0, 1]), // an expanded size-1 axis
  broadcastCase([1, 4], [6, 4], [0, 1]), // rows along an expanded axis
  broadcastCase([6, 4], [6, 2, 4], [0, 2]),
  broadcastCase([], [2, 3], []),
  broadcastCase([3, 1], [2, 3, 4], [1, 2]),
  broadcastCase([2, 3], [2, 3], [0, 1]),
]);
