// pad(v; config): zero padding per axis [lo, hi, interior]; negative lo/hi crop.
import { at, fromFn, type RuleCase, ruleTests } from "./_rule_harness.ts";

type Config = [number, number, number][];

/** The operand index that lands on output position `o` of one axis, or null for a zero. */
function source(o: number, n: number, [lo, , interior]: [number, number, number]): number | null {
  const p = o - lo;
  if (p < 0 || p % (interior + 1) !== 0) return null;
  const i = p / (interior + 1);
  return i < n ? i : null;
}

function padCase(operand: number[], config: Config, bugs?: RuleCase<"pad">["bugs"]): RuleCase<"pad"> {
  const out = operand.map((n, k) => config[k][0] + config[k][1] + n + Math.max(n - 1, 0) * config[k][2]);
  return {
    name: `[${operand}] by ${JSON.stringify(config)}`,
    in: [{ var: operand }],
    params: () => ({ config }),
    out,
    oracle: ([v]) =>
      fromFn(out, (o) => {
        const idx = o.map((x, k) => source(x, operand[k], config[k]));
        return idx.some((i) => i === null) ? 0 : at(v, idx as number[]);
      }),
    bugs,
  };
}

ruleTests("pad", [
  padCase([6, 3], [[1, 2, 0], [0, 0, 0]]),
  padCase([6, 3], [[0, 0, 0], [2, 1, 1]]),
  padCase([5, 4], [[-1, 2, 0], [1, -2, 1]]),
  padCase([3, 2, 4], [[0, 0, 0], [1, 1, 2], [-1, -1, 0]]),
  padCase([1, 3], [[0, 0, 0], [0, 0, 3]]),
  padCase([4], [[-2, -1, 1]]), // crops into the interior zeros
  padCase([4, 3], [[-1, -3, 0], [0, 0, 0]]),
  // Rank 7 with one lead axis and interior padding: tfjs-wasm's own pad is wrong there
  // (XNNPACK handles rank ≤ 6), so src/core/tensor_ops.ts padB merges unpadded axes first.
  padCase([2, 2, 1, 3, 2], [[0, 0, 0], [1, 0, 0], [0, 0, 0], [0, 1, 1], [0, 0, 0]]),
  padCase([4, 3], [[0, 0, 0], [0, 0, 0]]),
]);
