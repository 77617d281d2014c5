// div(v, c) = v / c: the var is the numerator (a var denominator is not linear).
import * as tf from "@tensorflow/tfjs";
import { constAt } from "../src/core/ir.ts";
import { identityView } from "./_view.ts";
import type { LinearRule } from "./_types.ts";
import { divB } from "../src/core/tensor_ops.ts";
import { elementwiseFlops, sameRows } from "./_families.ts";
import { elementwiseJacobian, elementwiseStructure } from "./_structure_util.ts";

export const div: LinearRule<"div"> = {
  apply: (eqn, [v]) => divB(v!, constAt(eqn, 1)),
  transpose: (eqn, ct) => divB(ct, constAt(eqn, 1)),
  exampleAxis: sameRows,
  flops: elementwiseFlops,
  // As mul's, with the factor 1/c.
  structure: (eqn) => elementwiseStructure(eqn.out.shape, constAt(eqn, 1).shape),
  jacobian: (eqn) => tf.tidy(() => elementwiseJacobian(tf.reciprocal(constAt(eqn, 1)))),
  view: (eqn) => ({
    ...identityView(eqn.out.shape.length),
    factor: { shape: constAt(eqn, 1).shape, make: () => tf.reciprocal(constAt(eqn, 1)) },
  }),
};
