// dot_general(lhs, rhs; contract, batch): y = Σ lhs·rhs over the contracted axes, aligned on
// the batch axes; output axes are batch, then lhs free, then rhs free (JAX order). Exactly
// one operand is a var, so the rule is linear in it. Everything lowers to `contract2`.
import { constAt, operandShape } from "../src/core/ir.ts";
import type { Eqn } from "../src/core/ir.ts";
import { isVar } from "../src/core/ir.ts";
import { contract2, type Label } from "../src/core/einsum.ts";
import type { LinearRule } from "./_types.ts";
import { numel, range, splitRowsShape } from "../src/core/axes.ts";
import { transposeB } from "../src/core/tensor_ops.ts";
import { structureOf } from "./_structure_util.ts";

type E = Eqn<"dot_general">;

/** Einsum labels of lhs, rhs and output. */
function labels(eqn: E): { lhs: Label[]; rhs: Label[]; out: Label[] } {
  const { contract, batch } = eqn.params;
  const lhsRank = operandShape(eqn, 0).length;
  const rhsRank = operandShape(eqn, 1).length;
  const lhs: Label[] = Array.from({ length: lhsRank }, (_, i) => `l${i}`);
  const rhs: Label[] = Array.from({ length: rhsRank }, (_, j) => {
    const c = contract[1].indexOf(j);
    if (c >= 0) return lhs[contract[0][c]];
    const b = batch[1].indexOf(j);
    return b >= 0 ? lhs[batch[0][b]] : `r${j}`;
  });
  const lhsFree = lhs.filter((_, i) => !contract[0].includes(i) && !batch[0].includes(i));
  const rhsFree = rhs.filter((_, j) => !contract[1].includes(j) && !batch[1].includes(j));
  return { lhs, rhs, out: [...batch[0].map((i) => lhs[i]), ...lhsFree, ...rhsFree] };
}

const varSlot = (eqn: E) => (isVar(eqn.in[0]) ? 0 : 1);
const constOf = (eqn: E) => constAt(eqn, 1 - varSlot(eqn));
const leadLabels = (lead: number): Label[] => Array.from({ length: lead }, (_, i) => `_${i}`);
/** The free (neither contracted nor batch) axes of the operand in `slot`, increasing. */
const freeAxes = (eqn: E, slot: number) =>
  range(operandShape(eqn, slot).length).filter((i) =>
    !eqn.params.contract[slot].includes(i) && !eqn.params.batch[slot].includes(i)
  );

export const dotGeneral: LinearRule<"dot_general"> = {
  apply: (eqn, tangents, lead) => {
    const s = varSlot(eqn);
    const l = labels(eqn);
    const ll = leadLabels(lead);
    const v = tangents[s]!;
    return s === 0
      ? contract2(v, [...ll, ...l.lhs], constOf(eqn), l.rhs, [...ll, ...l.out])
      : contract2(constOf(eqn), l.lhs, v, [...ll, ...l.rhs], [...ll, ...l.out]);
  },
  transpose: (eqn, ct, lead, slot) => {
    const l = labels(eqn);
    const ll = leadLabels(lead);
    const own = slot === 0 ? l.lhs : l.rhs;
    const other = slot === 0 ? l.rhs : l.lhs;
    return contract2(ct, [...ll, ...l.out], constOf(eqn), other, [...ll, ...own]);
  },
  exampleAxis: (eqn, rows, slot) => {
    const l = labels(eqn);
    const own = slot === 0 ? l.lhs : l.rhs;
    const k = own.indexOf(l.out[rows.out.axis]);
    return k >= 0 ? { ...rows.out, axis: k } : null;
  },
  // ExampleRows come from a free axis of the const: make the row factor a batch axis.
  transposeExample: (eqn, ct, lead, slot, rows) => {
    const l = labels(eqn);
    const ll = leadLabels(lead);
    const a = rows.out.axis;
    const x = l.out[a];
    const other = slot === 0 ? l.rhs : l.lhs;
    const own = slot === 0 ? l.lhs : l.rhs;
    const k = other.indexOf(x);
    const c = constOf(eqn);
    const splitLabels = (ls: Label[], at: number) => [...ls.slice(0, at), "xo", "R", "xi", ...ls.slice(at + 1)];
    const ctS = ct.reshape(splitRowsShape(ct.shape, lead + a, rows.out, rows.count));
    const cS = c.reshape(splitRowsShape(c.shape, k, rows.out, rows.count));
    return contract2(ctS, splitLabels([...ll, ...l.out], lead + a), cS, splitLabels(other, k), [...ll, "R", ...own]);
  },
  // The var's free axes pair up with their output axes; batch axes are block-diagonal (the
  // const differs per batch entry). J̃ is the const as [batch, free, contracted in the var's
  // increasing axis order].
  structure: (eqn, slot) => {
    const start = eqn.params.batch[0].length + (slot === 0 ? 0 : freeAxes(eqn, 0).length);
    return structureOf({
      constantBlockDiagonal: freeAxes(eqn, slot).map((i, k) => [start + k, i]),
      blockDiagonal: eqn.params.batch[slot].map((i, k) => [k, i]),
    });
  },
  jacobian: (eqn, slot) => {
    const { contract, batch } = eqn.params, other = 1 - slot;
    const contracted = [...contract[slot]].sort((a, b) => a - b).map((i) => contract[other][contract[slot].indexOf(i)]);
    return transposeB(constOf(eqn), [...batch[other], ...freeAxes(eqn, other), ...contracted]);
  },
  flops: (eqn, basis) => {
    const lhs = operandShape(eqn, 0);
    const contracted = numel(eqn.params.contract[0].map((i) => lhs[i]));
    return 2 * basis * numel(eqn.out.shape) * contracted;
  },
};
