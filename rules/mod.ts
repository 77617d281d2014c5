/**
 * The rule table: one entry per linear primitive. A missing or extra entry is a compile error.
 * @module
 */
import type { Eqn, PrimitiveName } from "../src/core/ir.ts";
import type { LinearRule } from "./_types.ts";
import { add } from "./add.ts";
import { addAny } from "./add_any.ts";
import { broadcastInDim } from "./broadcast_in_dim.ts";
import { concatenate } from "./concatenate.ts";
import { convGeneralDilated } from "./conv_general_dilated.ts";
import { convertElementType } from "./convert_element_type.ts";
import { copy } from "./copy.ts";
import { cumsum } from "./cumsum.ts";
import { div } from "./div.ts";
import { dotGeneral } from "./dot_general.ts";
import { gather } from "./gather.ts";
import { mul } from "./mul.ts";
import { neg } from "./neg.ts";
import { pad } from "./pad.ts";
import { reduceSum } from "./reduce_sum.ts";
import { reduceWindowSum } from "./reduce_window_sum.ts";
import { reshape } from "./reshape.ts";
import { rev } from "./rev.ts";
import { scatterAdd } from "./scatter_add.ts";
import { selectAndGatherAdd } from "./select_and_gather_add.ts";
import { selectAndScatterAdd } from "./select_and_scatter_add.ts";
import { selectN } from "./select_n.ts";
import { slice } from "./slice.ts";
import { squeeze } from "./squeeze.ts";
import { sub } from "./sub.ts";
import { transpose } from "./transpose.ts";
import { zerosLike } from "./zeros_like.ts";

export type { ExampleRows, LinearRule } from "./_types.ts";
export { derivedCacheBytes, setDerivedCacheBytes } from "./_cache.ts";

export const RULES: { [P in PrimitiveName]: LinearRule<P> } = {
  add,
  add_any: addAny,
  broadcast_in_dim: broadcastInDim,
  concatenate,
  conv_general_dilated: convGeneralDilated,
  convert_element_type: convertElementType,
  copy,
  cumsum,
  div,
  dot_general: dotGeneral,
  gather,
  mul,
  neg,
  pad,
  reduce_sum: reduceSum,
  reduce_window_sum: reduceWindowSum,
  reshape,
  rev,
  scatter_add: scatterAdd,
  select_and_gather_add: selectAndGatherAdd,
  select_and_scatter_add: selectAndScatterAdd,
  select_n: selectN,
  slice,
  squeeze,
  sub,
  transpose,
  zeros_like: zerosLike,
};

/**
 * The rule of an equation, callable with that equation: the one place where an equation of any
 * primitive meets its rule's primitive-specific signature (the table is keyed by `eqn.prim`).
 */
export function ruleFor(eqn: Eqn): LinearRule {
  return ruleOf(eqn.prim) as unknown as LinearRule;
}

/** The rule of a primitive, typed for the equation at hand. */
export function ruleOf<P extends PrimitiveName>(prim: P): LinearRule<P> {
  const r = RULES[prim];
  if (!r) throw new Error(`No linear rule for primitive "${prim}" in rules/mod.ts`);
  return r as LinearRule<P>;
}
