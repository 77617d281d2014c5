// reshape(v; newSizes): row-major relabelling of the entries; the transpose reshapes back.
import { operandShape } from "../src/core/ir.ts";
import * as tf from "@tensorflow/tfjs";
import { unitReshapeView } from "./_view.ts";
import type { LinearRule } from "./_types.ts";
import { noFlops } from "./_families.ts";
import { reshapeExampleAxis } from "../src/core/axes.ts";
import { planned, reshapePlan, varShape } from "./_structure_util.ts";

export const reshape: LinearRule<"reshape"> = {
  apply: (eqn, [v], lead) => tf.reshape(v!, [...v!.shape.slice(0, lead), ...eqn.params.newSizes]),
  transpose: (eqn, ct, lead) => tf.reshape(ct, [...ct.shape.slice(0, lead), ...operandShape(eqn)]),
  exampleAxis: (eqn, rows) => reshapeExampleAxis(eqn.params.newSizes, operandShape(eqn), rows.out, rows.count),
  flops: noFlops,
  relabels: true,
  view: (eqn) => unitReshapeView(operandShape(eqn), eqn.params.newSizes),
  // Blocks of the common refinement: one axis each side pairs up, larger blocks are dense.
  ...planned<"reshape">((eqn) => reshapePlan(eqn.out.shape, varShape(eqn, 0)), varShape),
};
