// mul(v, c) or mul(c, v): a var of the output's shape times a const broadcast to it (numpy).
import { at, atBroadcast, fromFn, numel, randArr, type RuleCase, ruleTests } from "./_rule_harness.ts";

/** `out` = var · const, with the var in `varSlot`. */
function mulCase(out: number[], constShape: number[], varSlot: 0 | 1, bugs?: RuleCase<"mul">["bugs"]): RuleCase<"mul"> {
  const c = randArr(constShape, 3);
  const ins = varSlot === 0 ? [{ var: out }, { const: c }] : [{ const: c }, { var: out }];
  return {
    name: `${varSlot === 0 ? "var · const" : "const · var"} [${out}] by [${constShape}]`,
    in: ins,
    params: () => ({}),
    out,
    oracle: (xs) => fromFn(out, (i) => at(xs[varSlot], i) * atBroadcast(c, i)),
    flops: (basis) => basis * numel(out),
    bugs,
  };
}

ruleTests("mul", [
  mulCase([6, 4], [6, 4], 0),
  mulCase([6, 4], [6, 4], 1),
  mulCase([6, 4], [4], 1),
  mulCase([6, 4], [6, 1], 0),
  mulCase([2, 4, 3], [2, 1, 3], 1),
  mulCase([1, 3, 1], [3, 1], 0),
  mulCase([4, 3], [], 0),
  mulCase([5, 4, 3], [1, 3], 1), // a leading size-1 axis and a missing one: both constant
  // Rank 7 (lead [2, 3] + a rank-5 output): tfjs-wasm's own mul is wrong there (XNNPACK logs
  // "xnn_setup_*_nd_f32 ... status 4"), so src/core/tensor_ops.ts merges axes first.
  mulCase([2, 3, 2, 2, 2], [2, 2], 0),
]);
