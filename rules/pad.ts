// pad(v; config): zero padding per axis as [lo, hi, interior]; negative lo/hi crop.
// A nonzero padding value is affine, not linear: kernels pad tangents with zero.
import type { LinearRule } from "./_types.ts";
import { noFlops } from "./_families.ts";
import { padLead, unpadLead } from "./_pad.ts";

const operandShape = (eqn: { in: unknown[] }) => (eqn.in[0] as { var: { shape: number[] } }).var.shape;

export const pad: LinearRule<"pad"> = {
  apply: (eqn, [v]) => padLead(v!, eqn.params.config),
  transpose: (eqn, ct) => unpadLead(ct, eqn.params.config, operandShape(eqn)),
  exampleAxis: (eqn, rows) => {
    const [lo, hi, interior] = eqn.params.config[rows.out.axis];
    return lo === 0 && hi === 0 && interior === 0 ? rows.out : null;
  },
  flops: noFlops,
};
