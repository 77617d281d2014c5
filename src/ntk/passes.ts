/**
 * The two interpreters every method is built from: the forward pass (JVPs over a basis of
 * parameter tangents) and the reverse pass (VJPs over a basis of output cotangents), optionally
 * keeping rows apart so that each parameter's cotangent is per row (per-example Jacobians).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type Eqn, isVar, type LinearProgram } from "../core/ir.ts";
import { type ExampleRows, ruleFor } from "../../rules/mod.ts";
import { RuleContractError } from "../core/errors.ts";
import { numel } from "../core/axes.ts";
import { addB, maskEachRow, zerosB } from "../core/tensor_ops.ts";
import { consumers } from "../core/linear_program.ts";
import type { ExampleAxes } from "./example_axes.ts";

/** Running counters of one NTK computation. */
export class Stats {
  flops = 0;
  peakBytes = 0;
  /** FLOPs and wall time of the final contractions (Jacobian contraction's J1·J2ᵀ). */
  contraction = { flops: 0, ms: 0 };
  #base = tf.memory().numBytes;
  sample(): void {
    this.peakBytes = Math.max(this.peakBytes, tf.memory().numBytes - this.#base);
  }
}

function checkShape(e: Eqn, t: tf.Tensor, lead: number, expect: readonly number[], what: string): void {
  const got = t.shape.slice(lead);
  if (got.length !== expect.length || got.some((s, i) => s !== expect[i])) {
    throw new RuleContractError(e.prim, `${what} has shape [${got}], expected [${expect}] (from ${e.source})`);
  }
}

/**
 * JVPs: pushes parameter tangents (each `[...lead, ...paramShape]`; missing = zero) through
 * the program and returns the output tangent `[...lead, ...outShape]`, or null if zero.
 */
export function forward(
  p: LinearProgram,
  tangents: Map<string, tf.Tensor>,
  lead: number,
  stats?: Stats,
): tf.Tensor | null {
  const uses = consumers(p);
  const remaining = new Map([...uses].map(([id, u]) => [id, u.length]));
  const vals = new Map<number, tf.Tensor>();
  let basis = 1;
  for (const [name, v] of p.params) {
    const t = tangents.get(name);
    if (t) {
      vals.set(v.id, t);
      basis = numel(t.shape.slice(0, lead));
    }
  }
  const owned = new Set<number>(); // values we created and may free
  const release = (id: number) => {
    const left = (remaining.get(id) ?? 0) - 1;
    remaining.set(id, left);
    if (left <= 0 && owned.has(id) && id !== p.output.id) {
      vals.get(id)?.dispose();
      vals.delete(id);
    }
  };
  for (const e of p.eqns) {
    const ins = e.in.map((o) => (isVar(o) ? vals.get(o.var.id) ?? null : null));
    const live = e.in.some((o, i) => isVar(o) && ins[i]);
    if (live) {
      // A rule may hand back its input unchanged; keep our own handle on it.
      const y = tf.tidy(() => {
        const r = ruleFor(e).apply(e, ins, lead);
        return ins.includes(r) ? tf.clone(r) : r;
      });
      checkShape(e, y, lead, e.out.shape, "apply's result");
      vals.set(e.out.id, y);
      owned.add(e.out.id);
      if (stats) stats.flops += ruleFor(e).flops(e, basis);
    }
    stats?.sample();
    for (const o of e.in) if (isVar(o)) release(o.var.id);
  }
  const out = vals.get(p.output.id) ?? null;
  // A parameter returned as the output is the caller's tensor: hand back a copy.
  return out && !owned.has(p.output.id) ? tf.clone(out) : out;
}

/** Per-row transpose by masking the cotangent with each row (exact; R× the work). */
function transposeByMask(e: Eqn, ct: tf.Tensor, lead: number, slot: number, rows: ExampleRows): tf.Tensor {
  const masked = maskEachRow(ct, lead, e.out.shape, rows.count, rows.out);
  return ruleFor(e).transpose(e, masked, lead + 1, slot);
}

/**
 * Each parameter by the index of its first (lowest-index) consumer — its cotangent is complete
 * once that equation is transposed — and the parameters nothing consumes.
 */
function paramsByFirstUse(p: LinearProgram): { paramAt: Map<number, string[]>; unused: string[] } {
  const firstUse = new Map<number, number>();
  p.eqns.forEach((e, i) => {
    for (const o of e.in) if (isVar(o) && !firstUse.has(o.var.id)) firstUse.set(o.var.id, i);
  });
  const paramAt = new Map<number, string[]>();
  const unused: string[] = [];
  for (const [name, v] of p.params) {
    const i = firstUse.get(v.id);
    if (i === undefined) unused.push(name);
    else paramAt.set(i, [...(paramAt.get(i) ?? []), name]);
  }
  return { paramAt, unused };
}

/**
 * One operand's share of an equation's cotangent `c`: plain, with rows already explicit in `c`,
 * or spread into rows (by the rule's own per-row transpose, else by masks) when the operand is
 * shared by all rows but the output keeps them apart.
 */
function transposeOperand(
  e: Eqn,
  c: tf.Tensor,
  lead: number,
  slot: number,
  perRow: boolean,
  r: ExampleRows | null,
  operandHasRows: boolean,
): tf.Tensor {
  const rule = ruleFor(e);
  return tf.tidy(() => {
    let t: tf.Tensor;
    if (!perRow || (r && operandHasRows)) t = rule.transpose(e, c, lead, slot);
    else if (!r) t = rule.transpose(e, c, lead + 1, slot); // rows already explicit
    else {
      t = byExample(e, slot, r) ? rule.transposeExample!(e, c, lead, slot, r) : transposeByMask(e, c, lead, slot, r);
    }
    return t === c ? tf.clone(t) : t; // a rule may hand back its input unchanged
  });
}

/** Whether the rule splits this operand's cotangent by example itself (no per-row repeats). */
function byExample(e: Eqn, slot: number, r: ExampleRows): boolean {
  const rule = ruleFor(e);
  return rule.transposeExample !== undefined && rule.exampleAxis(e, r, slot) === null;
}

/**
 * Vectors a transpose works on, for the FLOP count: the rows made explicit cost a pass each
 * when done by masking, nothing extra when the rule splits by example (each row's share of
 * one pass).
 */
function transposeBasis(
  e: Eqn,
  contribution: tf.Tensor,
  lead: number,
  slot: number,
  explicitRows: number,
  r: ExampleRows | null,
): number {
  const free = explicitRows === 1 && r !== null && byExample(e, slot, r);
  return numel(contribution.shape.slice(0, lead + (free ? 0 : explicitRows)));
}

/**
 * VJPs: pulls the output cotangent `ct` (`[...lead, ...outShape]`) back through the program
 * and yields each parameter's cotangent as soon as it is complete, in reverse program order.
 * With `rows`, cotangents stay per row: each yield is `[...lead, R, ...paramShape]`.
 * The caller owns (and must dispose) every yielded tensor; `ct` is not consumed.
 */
export function* backward(
  p: LinearProgram,
  ct: tf.Tensor,
  lead: number,
  rows: ExampleAxes | null,
  stats?: Stats,
): Generator<[string, tf.Tensor]> {
  const zerosFor = (name: string) =>
    zerosB([...ct.shape.slice(0, lead), ...(rows ? [rows.count] : []), ...p.params.get(name)!.shape]);
  for (const y of reverse(p, ct, lead, rows, stats)) if ("param" in y) yield [y.param, y.ct ?? zerosFor(y.param)];
}

/**
 * What `reverse` yields: a parameter's finished cotangent (null: zero, e.g. every path stopped),
 * or an equation output's cotangent at a stop.
 */
export type Reversed = { param: string; ct: tf.Tensor | null } | { eqn: number; slot: number; ct: tf.Tensor };

/**
 * `backward`, with stops: at equation i, the var operands in `stops.get(i)` receive nothing; the
 * equation's output cotangent is yielded instead (once per stopped slot), for methods that
 * continue from there (structured derivatives).
 */
export function* reverse(
  p: LinearProgram,
  ct: tf.Tensor,
  lead: number,
  rows: ExampleAxes | null,
  stats?: Stats,
  stops: Map<number, Set<number>> = new Map(),
): Generator<Reversed> {
  const tagOf = (id: number) => (rows ? rows.tags.get(id) ?? null : null);
  const perRow = rows !== null;
  const { paramAt, unused } = paramsByFirstUse(p);
  const cts = new Map<number, tf.Tensor>();
  const accumulate = (id: number, c: tf.Tensor) => {
    const prev = cts.get(id);
    if (!prev) return void cts.set(id, c);
    cts.set(id, addB(prev, c));
    prev.dispose();
    c.dispose();
  };
  /** A parameter's finished cotangent, with an explicit row axis when per row. */
  const finish = (name: string): tf.Tensor | null => {
    const v = p.params.get(name)!;
    const c = cts.get(v.id);
    cts.delete(v.id);
    if (!c) return null;
    const tag = tagOf(v.id);
    if (!perRow || tag === null) return c;
    // The parameter itself carries rows (f returns it, say): spread them into a row axis.
    const out = maskEachRow(c, lead, v.shape, rows!.count, tag);
    c.dispose();
    return out;
  };
  cts.set(p.output.id, tf.clone(ct));
  try {
    for (let i = p.eqns.length - 1; i >= 0; i--) {
      const e = p.eqns[i];
      const c = cts.get(e.out.id);
      cts.delete(e.out.id);
      const stopped = stops.get(i);
      if (c && stopped) { for (const slot of stopped) yield { eqn: i, slot, ct: tf.clone(c) }; }
      if (c) {
        const rule = ruleFor(e);
        const outTag = tagOf(e.out.id);
        const r: ExampleRows | null = outTag ? { count: rows!.count, out: outTag } : null;
        e.in.forEach((o, slot) => {
          // An empty operand (a part of a concatenation, say) has no entries to receive.
          if (!isVar(o) || stopped?.has(slot) || o.var.shape.includes(0)) return;
          const vTag = tagOf(o.var.id);
          const contribution = transposeOperand(e, c, lead, slot, perRow, r, vTag !== null);
          const explicitRows = perRow && vTag === null ? 1 : 0;
          checkShape(e, contribution, lead + explicitRows, o.var.shape, `transpose of operand ${slot}`);
          if (stats) stats.flops += rule.flops(e, transposeBasis(e, contribution, lead, slot, explicitRows, r));
          accumulate(o.var.id, contribution);
        });
        c.dispose();
      }
      stats?.sample();
      for (const name of paramAt.get(i) ?? []) yield { param: name, ct: finish(name) };
    }
    for (const name of unused) yield { param: name, ct: finish(name) };
  } finally {
    tf.dispose([...cts.values()]);
  }
}
