/**
 * Building, pruning and disposing linear programs (the example axis is followed back through
 * them in the engine, src/ntk/example_axes.ts).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import {
  type Eqn,
  isVar,
  type LinearProgram,
  type Operand,
  type ParamsOf,
  type PrimitiveName,
  type Var,
} from "./ir.ts";

/** Appends equations and hands out fresh vars. */
export class ProgramBuilder {
  #nextId = 0;
  readonly eqns: Eqn[] = [];
  readonly owned: tf.Tensor[] = [];
  readonly params = new Map<string, Var>();

  newVar(shape: number[], inputDependent: boolean): Var {
    return { id: this.#nextId++, shape: shape.slice(), inputDependent };
  }

  param(name: string, shape: number[]): Var {
    const v = this.newVar(shape, false);
    this.params.set(name, v);
    return v;
  }

  /** Takes ownership of a tensor: it is disposed with the program. */
  own<T extends tf.Tensor>(t: T): T {
    this.owned.push(t);
    return t;
  }

  emit<P extends PrimitiveName>(
    prim: P,
    operands: Operand[],
    params: ParamsOf<P>,
    outShape: number[],
    source: string,
  ): Var {
    const dep = operands.some((o) => (isVar(o) ? o.var.inputDependent : o.const.inputDependent));
    const out = this.newVar(outShape, dep);
    this.eqns.push({ prim, in: operands, params, out, source } as Eqn);
    return out;
  }

  build(output: Var): LinearProgram {
    return prune({ params: this.params, eqns: this.eqns, output, owned: this.owned });
  }
}

/**
 * Drops equations whose output does not reach the program output, and those that contribute
 * nothing: an equation is linear in its var operands, so where each of them is empty (no
 * entries) or itself zero, its output is zero whatever its shape (a contraction or a sum over an
 * empty axis, a pad of nothing). So is one with a const operand without entries: consts are the
 * coefficients of a linear equation (a product, a contraction, a convolution's other operand), and
 * an empty one multiplies nothing into the output (a convolution of an empty input by the filter's
 * tangent is zero). Its consumers then see a var nothing produces (zero), and no
 * rule ever meets an empty tangent or cotangent, in any method.
 */
export function prune(p: LinearProgram): LinearProgram {
  const zero = new Set<number>();
  const isZero = (v: Var) => v.shape.includes(0) || zero.has(v.id);
  for (const e of p.eqns) {
    const emptyCoefficient = e.in.some((o) => !isVar(o) && o.const.value.size === 0);
    if (e.out.shape.includes(0) || emptyCoefficient || e.in.every((o) => !isVar(o) || isZero(o.var))) {
      zero.add(e.out.id);
    }
  }
  const live = new Set<number>([p.output.id]);
  const kept: Eqn[] = [];
  for (let i = p.eqns.length - 1; i >= 0; i--) {
    const e = p.eqns[i];
    if (!live.has(e.out.id) || zero.has(e.out.id)) {
      e.cache?.forEach((t) => t.dispose());
      continue;
    }
    kept.push(e);
    for (const o of e.in) if (isVar(o) && !isZero(o.var)) live.add(o.var.id);
  }
  kept.reverse();
  const params = new Map([...p.params].filter(([, v]) => live.has(v.id)));
  return { params, eqns: kept, output: p.output, owned: p.owned };
}

/** Frees every tensor the program owns, including per-equation caches. */
export function disposeProgram(p: LinearProgram): void {
  for (const e of p.eqns) e.cache?.forEach((t) => t.dispose());
  tf.dispose(p.owned);
  p.owned.length = 0;
}

/** Every var's consumers, by var id. */
export function consumers(p: LinearProgram): Map<number, number[]> {
  const m = new Map<number, number[]>();
  p.eqns.forEach((e, i) => {
    for (const o of e.in) if (isVar(o)) m.set(o.var.id, [...(m.get(o.var.id) ?? []), i]);
  });
  return m;
}
