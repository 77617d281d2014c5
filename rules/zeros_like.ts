// zeros_like: the zero map (a kernel whose derivative is zero everywhere, e.g. Floor, Sign).
import { zerosB } from "../src/core/tensor_ops.ts";
import type { LinearRule } from "./_types.ts";
import { noFlops, sameRows } from "./_families.ts";
import { scaledIdentity } from "./_structure_util.ts";

export const zerosLike: LinearRule<"zeros_like"> = {
  apply: (eqn, [v]) => zerosB([...v!.shape.slice(0, v!.rank - eqn.out.shape.length), ...eqn.out.shape]),
  transpose: (_eqn, ct) => zerosB(ct.shape),
  exampleAxis: sameRows,
  flops: noFlops,
  ...scaledIdentity(() => 0),
};
