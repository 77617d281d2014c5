// squeeze(v; dimensions): drops size-1 axes; a reshape that keeps every other axis.
import { operandShape } from "../src/core/ir.ts";
import * as tf from "@tensorflow/tfjs";
import { unitReshapeView } from "./_view.ts";
import type { LinearRule } from "./_types.ts";
import { noFlops } from "./_families.ts";
import { reshapeExampleAxis } from "../src/core/axes.ts";
import { planned, reshapePlan, varShape } from "./_structure_util.ts";

export const squeeze: LinearRule<"squeeze"> = {
  apply: (eqn, [v], lead) => tf.reshape(v!, [...v!.shape.slice(0, lead), ...eqn.out.shape]),
  transpose: (eqn, ct, lead) => tf.reshape(ct, [...ct.shape.slice(0, lead), ...operandShape(eqn)]),
  exampleAxis: (eqn, rows) => reshapeExampleAxis(eqn.out.shape, operandShape(eqn), rows.out, rows.count),
  flops: noFlops,
  relabels: true,
  view: (eqn) => unitReshapeView(operandShape(eqn), eqn.out.shape),
  // Blocks of the common refinement: one axis each side pairs up, larger blocks are dense.
  ...planned<"squeeze">((eqn) => reshapePlan(eqn.out.shape, varShape(eqn, 0)), varShape),
};
