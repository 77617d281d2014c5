// concatenate(p1, p2, ...; dimension, sizes): parts along `dimension`; a const operand is a
// zero part (a tangent that does not depend on the parameters). The transpose of part k is
// its slice of the cotangent.
import { concatB, sliceB, zerosB } from "../src/core/tensor_ops.ts";
import type { LinearRule } from "./_types.ts";
import { noFlops } from "./_families.ts";
import { matrix, perAxisPlan, planned, varShape } from "./_structure_util.ts";

import type { Eqn } from "../src/core/ir.ts";

const shapes = (eqn: Eqn<"concatenate">) =>
  eqn.params.sizes.map((s) => eqn.out.shape.map((x, i) => (i === eqn.params.dimension ? s : x)));

export const concatenate: LinearRule<"concatenate"> = {
  apply: (eqn, tangents, lead) => {
    const live = tangents.find((t) => t != null)!;
    const ld = live.shape.slice(0, lead);
    const parts = shapes(eqn).map((s, k) => tangents[k] ?? zerosB([...ld, ...s]));
    return concatB(parts, eqn.params.dimension + lead);
  },
  transpose: (eqn, ct, lead, slot) => {
    const ss = shapes(eqn);
    const d = eqn.params.dimension;
    const offset = ss.slice(0, slot).reduce((acc, s) => acc + s[d], 0);
    const begin = ct.shape.map((_, i) => (i === d + lead ? offset : 0));
    const size = ct.shape.map((s, i) => (i === d + lead ? ss[slot][d] : s));
    return sliceB(ct, begin, size);
  },
  exampleAxis: (eqn, rows) => (rows.out.axis === eqn.params.dimension ? null : rows.out),
  flops: noFlops,
  // Part k lands at its offset along `dimension`; the other axes pair up.
  ...planned<"concatenate">(
    (eqn, slot) =>
      perAxisPlan(eqn.out.shape, varShape(eqn, slot), (a) => {
        const { dimension, sizes } = eqn.params;
        if (a !== dimension) return null;
        const offset = sizes.slice(0, slot).reduce((acc, s) => acc + s, 0);
        return matrix(eqn.out.shape[a], sizes[slot], (j, i) => (j === offset + i ? 1 : 0));
      }),
    varShape,
  ),
};
