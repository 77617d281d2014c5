/**
 * The linear IR: a program of linear primitives that maps parameter tangents to the output
 * tangent. Every equation is linear in its `var` operands jointly; `const` operands are primal
 * values captured while tracing (activations, masks, indices).
 *
 * Primitive names follow JAX's list of linear primitives (Table 5 of the paper).
 * @module
 */
import type { Tensor } from "./types.ts";

/**
 * Where the output's leading (row, usually example) axis lives in a var: along `axis`, whose
 * size is `outer * R * inner`, position `i` belongs to row `floor(i / inner) % R`. This covers
 * examples merged with neighbours by a reshape (`[N, T, F] → [N·T, F]` has `inner = T`).
 */
export interface ExampleAxis {
  axis: number;
  outer: number;
  inner: number;
}

/** A value of the program: a parameter tangent or an intermediate tangent. */
export interface Var {
  id: number;
  shape: number[];
  /** True when the linear map from the parameters to this var has input-dependent coefficients. */
  inputDependent: boolean;
}

/** A primal value captured while tracing, used as a fixed coefficient. */
export interface Const {
  value: Tensor;
  /** True when the value depends on the traced input x (false for values of params alone). */
  inputDependent: boolean;
}

export type Operand = { var: Var } | { const: Const };

// ---- primitive parameters ---------------------------------------------------------------

export type Padding = [lo: number, hi: number][];

/** `dot_general`: contract `contract[0]` of lhs with `contract[1]` of rhs, aligned on `batch`. */
export interface DotGeneralParams {
  contract: [lhs: number[], rhs: number[]];
  batch: [lhs: number[], rhs: number[]];
}

/**
 * `conv_general_dilated`, channels-last: lhs `[N, ...spatial, C]`, rhs `[...window, C/G, O]`,
 * output `[N, ...spatialOut, O]`. `lhsDilation > 1` is a transposed convolution.
 */
export interface ConvParams {
  strides: number[];
  padding: Padding;
  lhsDilation: number[];
  rhsDilation: number[];
  featureGroupCount: number;
}

export interface BroadcastInDimParams {
  shape: number[];
  /** For each operand axis, the output axis it maps to (increasing). */
  broadcastDimensions: number[];
}

export interface ReshapeParams {
  newSizes: number[];
}
export interface SqueezeParams {
  dimensions: number[];
}
export interface TransposeParams {
  permutation: number[];
}
export interface AxesParams {
  axes: number[];
}
export interface RevParams {
  dimensions: number[];
}
export interface PadParams {
  /** Zero padding per axis: [lo, hi, interior]; negative lo/hi crop. */
  config: [lo: number, hi: number, interior: number][];
}
export interface SliceParams {
  start: number[];
  limit: number[];
  strides: number[];
}
/** Parts along `dimension` have `sizes`; a const operand stands for a zero part. */
export interface ConcatenateParams {
  dimension: number;
  sizes: number[];
}
export interface ReduceWindowSumParams {
  /** Window over the spatial axes of a channels-last `[N, ...spatial, C]` operand. */
  window: number[];
  strides: number[];
  padding: Padding;
}
export interface GatherParams {
  /** Int32 indices; the output is `operand.shape[:axis] + indices.shape + operand.shape[axis+1:]`. */
  indices: Tensor;
  axis: number;
}
export interface ScatterAddParams {
  indices: Tensor;
  axis: number;
  /** Shape of the result (the gathered-from operand). */
  shape: number[];
}
export interface SelectNParams {
  /** Int32/bool tensor of the output's shape (or broadcastable): which case each entry takes. */
  which: Tensor;
}
export interface SelectGatherParams {
  /**
   * Int32 flat positions into the whole operand, shaped like the gathered side: entry `j`
   * reads (or, scattering, adds to) operand entry `positions[j]` of the flattened operand. Axis 0
   * of both sides is one batch axis: an entry in batch slot b only reads slot b. Max pooling's
   * tangent (each window's chosen maximum).
   */
  positions: Tensor;
  /** Shape of the operand (select_and_gather_add) or of the result (select_and_scatter_add). */
  shape: number[];
}
export interface CumsumParams {
  axis: number;
  exclusive: boolean;
  reverse: boolean;
}
export interface ConvertParams {
  dtype: "float32";
}
export type NoParams = Record<string, never>;

/** Primitive name → its params type. */
export interface ParamsMap {
  add: NoParams;
  add_any: NoParams;
  sub: NoParams;
  neg: NoParams;
  mul: NoParams;
  div: NoParams;
  dot_general: DotGeneralParams;
  conv_general_dilated: ConvParams;
  broadcast_in_dim: BroadcastInDimParams;
  reshape: ReshapeParams;
  squeeze: SqueezeParams;
  transpose: TransposeParams;
  reduce_sum: AxesParams;
  rev: RevParams;
  pad: PadParams;
  slice: SliceParams;
  concatenate: ConcatenateParams;
  reduce_window_sum: ReduceWindowSumParams;
  gather: GatherParams;
  scatter_add: ScatterAddParams;
  select_n: SelectNParams;
  select_and_gather_add: SelectGatherParams;
  select_and_scatter_add: SelectGatherParams;
  cumsum: CumsumParams;
  convert_element_type: ConvertParams;
  copy: NoParams;
  zeros_like: NoParams;
}

export type PrimitiveName = keyof ParamsMap;
export type ParamsOf<P extends PrimitiveName> = ParamsMap[P];

/** One equation: `out = prim(in...; params)`, linear in the var operands. */
export interface Eqn<P extends PrimitiveName = PrimitiveName> {
  prim: P;
  in: Operand[];
  params: ParamsOf<P>;
  out: Var;
  /** The traced kernel this equation came from, for diagnostics and error messages. */
  source: string;
  /** Tensors a rule derived from the consts once (e.g. im2col patches); freed with the program. */
  cache?: Map<string, Tensor>;
}

/**
 * Parameter tangents in, output tangent out: the linear IR that `traceLinear` returns (see
 * DESIGN.md); its equations are internal and may change between versions.
 * @internal
 */
export interface LinearProgram {
  params: Map<string, Var>;
  eqns: Eqn[];
  output: Var;
  /** Every tensor the program owns (consts and index params); freed by `disposeProgram`. */
  owned: Tensor[];
}

export function isVar(o: Operand): o is { var: Var } {
  return "var" in o;
}
export function isConst(o: Operand): o is { const: Const } {
  return "const" in o;
}

/** The shape of an operand: a var's, or its const value's. */
export function shapeOf(o: Operand): number[] {
  return isVar(o) ? o.var.shape : o.const.value.shape;
}

/** The shape of the operand in `slot` (var or const). */
export function operandShape(eqn: { in: readonly Operand[] }, slot = 0): number[] {
  return shapeOf(eqn.in[slot]);
}

/** The const value in `slot` (throws if the slot holds a var). */
export function constAt(eqn: Eqn, slot: number): Tensor {
  const o = eqn.in[slot];
  if (!isConst(o)) throw new Error(`Operand ${slot} of ${eqn.prim} is a var, not a const`);
  return o.const.value;
}
