// div(v, c) = v / c: the var is the numerator (a var denominator is not linear).
import { constAt } from "../src/ir.ts";
import type { LinearRule } from "./_types.ts";
import { divB } from "./_broadcast.ts";
import { elementwiseFlops, sameRows } from "./_families.ts";

export const div: LinearRule<"div"> = {
  apply: (eqn, [v]) => divB(v!, constAt(eqn, 1)),
  transpose: (eqn, ct) => divB(ct, constAt(eqn, 1)),
  exampleAxis: sameRows,
  flops: elementwiseFlops,
};
