// Select(condition, t, e) (tf.where): dy = condition ? dt : de — select_n when both carry a
// tangent, a mask product when one does. A rank-1 condition picks along axis 0.
import * as tf from "@tensorflow/tfjs";
import type { KernelRule } from "./types.ts";
import * as E from "./_emit.ts";
import { mask } from "./_families.ts";

export const Select: KernelRule = {
  linearize(k) {
    const y = k.outputs[0];
    const c = k.input("condition")!;
    const cond = c.rank === 1 && y.rank > 1 ? tf.reshape(c, [c.shape[0], ...y.shape.slice(1).map(() => 1)]) : c;
    const [dt, de] = [E.broadcastTo(k, k.tangent("t"), y.shape), E.broadcastTo(k, k.tangent("e"), y.shape)];
    if (dt && de) {
      k.setTangent(0, k.emit("select_n", [de, dt], { which: cond }, y.shape));
      return;
    }
    k.setTangent(0, dt ? E.mul(k, dt, mask(cond)) : E.mul(k, de, mask(tf.logicalNot(cond))));
  },
};
