// div(v, c) = v / c: the var is the numerator (a var denominator is not linear).
import * as tf from "@tensorflow/tfjs";
import { constAt } from "../src/ir.ts";
import type { LinearRule } from "./_types.ts";
import { elementwiseFlops, sameRows } from "./_families.ts";

export const div: LinearRule<"div"> = {
  apply: (eqn, [v]) => tf.div(v!, constAt(eqn, 1)),
  transpose: (eqn, ct) => tf.div(ct, constAt(eqn, 1)),
  exampleAxis: sameRows,
  flops: elementwiseFlops,
};
