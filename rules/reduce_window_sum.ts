// reduce_window_sum(v; window, strides, padding): channels-last window sums over the spatial
// axes of [N, ...spatial, C], zero padded (average pooling's numerator). The transpose adds
// each output entry back over its window.
import { operandShape } from "../src/core/ir.ts";
import * as tf from "@tensorflow/tfjs";
import type { Eqn } from "../src/core/ir.ts";
import type { LinearRule } from "./_types.ts";
import { numel } from "../src/core/axes.ts";
import { addWindows, windowSlices, type WindowSpec } from "./_conv.ts";
import { addAll } from "../src/core/tensor_ops.ts";
import { matrix, perAxisPlan, planned, varShape } from "./_structure_util.ts";

type E = Eqn<"reduce_window_sum">;

function spec(eqn: E): WindowSpec {
  const ones = eqn.params.window.map(() => 1);
  return { ...eqn.params, lhsDilation: ones, rhsDilation: ones };
}

const fold = (t: tf.Tensor, lead: number) => tf.reshape(t, [-1, ...t.shape.slice(lead + 1)]);
const unfold = (t: tf.Tensor, ld: number[]) => tf.reshape(t, [...ld, -1, ...t.shape.slice(1)]);

export const reduceWindowSum: LinearRule<"reduce_window_sum"> = {
  apply: (eqn, [v], lead) => {
    const parts = windowSlices(fold(v!, lead), spec(eqn));
    return unfold(addAll(parts), v!.shape.slice(0, lead));
  },
  transpose: (eqn, ct, lead) => {
    const c = fold(ct, lead);
    const k = numel(eqn.params.window);
    const spatial = operandShape(eqn).slice(1, -1);
    return unfold(addWindows(Array.from({ length: k }, () => c), spec(eqn), spatial), ct.shape.slice(0, lead));
  },
  exampleAxis: (eqn, rows) => {
    const last = eqn.out.shape.length - 1;
    return rows.out.axis === 0 || rows.out.axis === last ? rows.out : null;
  },
  flops: (eqn, basis) => basis * numel(eqn.out.shape) * numel(eqn.params.window),
  // Batch and channels pair up; each spatial axis contributes its window indicator:
  // output o sums inputs o·stride − lo + k, 0 ≤ k < window.
  ...planned<"reduce_window_sum">(
    (eqn) =>
      perAxisPlan(eqn.out.shape, operandShape(eqn), (a) => {
        if (a === 0 || a === eqn.out.shape.length - 1) return null;
        const [window, stride, [lo]] = [eqn.params.window[a - 1], eqn.params.strides[a - 1], eqn.params.padding[a - 1]];
        return matrix(eqn.out.shape[a], operandShape(eqn)[a], (o, i) => {
          const k = i + lo - o * stride;
          return k >= 0 && k < window ? 1 : 0;
        });
      }),
    varShape,
  ),
};
