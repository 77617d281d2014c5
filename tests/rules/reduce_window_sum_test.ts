// reduce_window_sum(v; window, strides, padding): window sums over the spatial axes of a
// channels-last [N, ...spatial, C] operand, zero padded.
import { at, fromFn, numel, type RuleCase, ruleTests, unravel } from "./_rule_harness.ts";

function windowSumCase(
  operand: number[],
  window: number[],
  strides: number[],
  padding: [number, number][],
): RuleCase<"reduce_window_sum"> {
  const spatial = operand.slice(1, -1);
  const outSpatial = spatial.map((s, i) =>
    Math.floor((s + padding[i][0] + padding[i][1] - window[i]) / strides[i]) + 1
  );
  const out = [operand[0], ...outSpatial, operand[operand.length - 1]];
  return {
    name: `[${operand}] window [${window}] strides [${strides}] padding ${JSON.stringify(padding)}`,
    in: [{ var: operand }],
    params: () => ({ window, strides, padding }),
    out,
    oracle: ([v]) =>
      fromFn(out, (o) => {
        let s = 0;
        for (let w = 0; w < numel(window); w++) {
          const off = unravel(w, window);
          const pos = off.map((d, i) => o[1 + i] * strides[i] + d - padding[i][0]);
          if (pos.every((p, i) => p >= 0 && p < spatial[i])) s += at(v, [o[0], ...pos, o[o.length - 1]]);
        }
        return s;
      }),
    // One addition per window entry, output entry and basis vector.
    flops: (basis) => basis * numel(out) * numel(window),
  };
}

ruleTests("reduce_window_sum", [
  windowSumCase([2, 5, 3], [2], [1], [[0, 0]]),
  windowSumCase([4, 6, 3], [3], [2], [[1, 1]]),
  windowSumCase([3, 4, 5, 2], [2, 2], [2, 2], [[0, 0], [0, 1]]),
  windowSumCase([2, 3, 3, 1], [3, 1], [1, 1], [[1, 1], [0, 0]]),
  windowSumCase([1, 4, 2], [4], [1], [[0, 0]]),
  windowSumCase([2, 5, 4], [2], [3], [[2, 0]]),
  windowSumCase([2, 4, 3, 2], [1, 2], [1, 1], [[0, 0], [1, 0]]), // a spatial axis left as is
]);
