// select_n(c0, c1, ...; which): entry-wise, the output takes the tangent of case `which`.
import { type Arr, at, atBroadcast, fromFn, intArr, type RuleCase, ruleTests, toTensor } from "./_rule_harness.ts";

function selectCase(out: number[], cases: number, whichShape: number[], dtype: "int32" | "bool"): RuleCase<"select_n"> {
  const which: Arr = intArr(whichShape, cases, 5);
  return {
    name: `${cases} cases of [${out}], ${dtype} which [${whichShape}]`,
    in: Array.from({ length: cases }, () => ({ var: out })),
    params: () => ({ which: toTensor(which, dtype) }),
    out,
    oracle: (ins) => fromFn(out, (i) => at(ins[atBroadcast(which, i)], i)),
  };
}

ruleTests("select_n", [
  selectCase([6, 4], 2, [6, 4], "int32"),
  selectCase([6, 4], 3, [6, 4], "int32"),
  selectCase([6, 4], 2, [6, 4], "bool"),
  selectCase([2, 1, 3], 2, [3], "bool"),
  selectCase([6, 4], 2, [6, 1], "int32"),
  selectCase([3, 2], 2, [], "bool"), // one case for every entry: constant structure
]);
