/**
 * The structure of a primitive's derivative ∂y/∂w with respect to one var operand w (the
 * paper's §4 and appendix C): which y axes and w axes pair up on a diagonal, which axes the
 * derivative is constant along, and index lookups. It lets the structured-derivatives method
 * contract `df/dy · dy/dw · dy/dwᵀ · df/dyᵀ` without ever building dy/dw in full.
 *
 * With D[y…, w…] = ∂y/∂w, a structure states:
 * - `constantBlockDiagonal` [a, b]: D = 0 unless y_a = w_b, and D does not depend on that index;
 * - `blockDiagonal` [a, b]: D = 0 unless y_a = w_b (blocks may depend on it);
 * - `outputTiled` a: D does not depend on y_a (and no w axis pairs with a);
 * - `inputTiled` b: D does not depend on w_b (and no y axis pairs with b);
 * - `selection` {yAxes, wAxis, indices}: D = 0 unless w_wAxis = indices[y_yAxes] (a gather).
 * The trimmed Jacobian J̃ (a rule's `jacobian`) holds what is left: the y axes that are not
 * constant-block-diagonal, output-tiled or selection axes, then the w axes that are in no pair,
 * not input-tiled and not the selection axis, each group in increasing axis order. So
 * D[y, w] = J̃[y_kept, w_kept] · Π δ(y_a, w_b) · Π [w_wAxis = indices[y_yAxes]].
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type Eqn, isVar } from "./ir.ts";
import { RuleContractError } from "./errors.ts";
import { oneHotRows } from "./tensor_util.ts";
import { broadcastToB, mulB } from "./tensor_ops.ts";

export interface Selection {
  yAxes: number[];
  wAxis: number;
  /** int32, shaped like the selected y axes. */
  indices: tf.Tensor;
}

export interface Structure {
  constantBlockDiagonal: [y: number, w: number][];
  blockDiagonal: [y: number, w: number][];
  outputTiled: number[];
  inputTiled: number[];
  selection?: Selection;
}

/** The y axes J̃ keeps, and the w axes it keeps, for a structure. */
export function keptAxes(s: Structure, yRank: number, wRank: number): { y: number[]; w: number[] } {
  const yGone = new Set([...s.constantBlockDiagonal.map(([a]) => a), ...s.outputTiled, ...(s.selection?.yAxes ?? [])]);
  const wGone = new Set([
    ...s.constantBlockDiagonal.map(([, b]) => b),
    ...s.blockDiagonal.map(([, b]) => b),
    ...s.inputTiled,
    ...(s.selection ? [s.selection.wAxis] : []),
  ]);
  return {
    y: Array.from({ length: yRank }, (_, i) => i).filter((a) => !yGone.has(a)),
    w: Array.from({ length: wRank }, (_, i) => i).filter((b) => !wGone.has(b)),
  };
}

/** The shape the trimmed Jacobian must have. */
export function trimmedShape(s: Structure, y: readonly number[], w: readonly number[]): number[] {
  const k = keptAxes(s, y.length, w.length);
  return [...k.y.map((a) => y[a]), ...k.w.map((b) => w[b])];
}

/** Throws RuleContractError when a structure is malformed for these shapes. */
export function checkStructure(
  prim: string,
  slot: number,
  s: Structure,
  y: readonly number[],
  w: readonly number[],
): void {
  const fail = (why: string) => {
    throw new RuleContractError(prim, `structure of operand ${slot}: ${why}`);
  };
  const yUsed = new Set<number>(), wUsed = new Set<number>();
  const useY = (a: number) => {
    if (!(a >= 0 && a < y.length)) fail(`y axis ${a} out of range for rank ${y.length}`);
    if (yUsed.has(a)) fail(`y axis ${a} listed twice`);
    yUsed.add(a);
  };
  const useW = (b: number) => {
    if (!(b >= 0 && b < w.length)) fail(`w axis ${b} out of range for rank ${w.length}`);
    if (wUsed.has(b)) fail(`w axis ${b} listed twice`);
    wUsed.add(b);
  };
  for (const [a, b] of [...s.constantBlockDiagonal, ...s.blockDiagonal]) {
    useY(a), useW(b);
    if (y[a] !== w[b]) fail(`paired axes y${a} (${y[a]}) and w${b} (${w[b]}) differ in size`);
  }
  s.outputTiled.forEach(useY);
  s.inputTiled.forEach(useW);
  if (s.selection) {
    s.selection.yAxes.forEach(useY);
    useW(s.selection.wAxis);
    const idx = s.selection.indices.shape;
    if (idx.length !== s.selection.yAxes.length || s.selection.yAxes.some((a, i) => y[a] !== idx[i])) {
      fail(`selection indices of shape [${idx}] do not match y axes ${s.selection.yAxes}`);
    }
  }
}

/**
 * The dense derivative D[y…, w…] rebuilt from a structure and its trimmed Jacobian — the
 * inverse of trimming, used to check rules against `denseJacobian`.
 */
export function denseFromStructure(s: Structure, jt: tf.Tensor, y: readonly number[], w: readonly number[]): tf.Tensor {
  return tf.tidy(() => {
    const [ry, rw] = [y.length, w.length];
    const k = keptAxes(s, ry, rw);
    // Place J̃'s axes into the full [y…, w…] frame (size 1 elsewhere), then multiply in factors.
    const frame = [...y, ...w].map(() => 1);
    k.y.forEach((a) => (frame[a] = y[a]));
    k.w.forEach((b) => (frame[ry + b] = w[b]));
    // A block-diagonal pair keeps its y axis in J̃; its w axis comes from the δ below.
    let d = tf.reshape(jt, frame);
    const at = (axes: [number, number][], sizes: [number, number]) => {
      const shape = frame.map(() => 1);
      axes.forEach(([axis], i) => (shape[axis] = sizes[i]));
      return shape;
    };
    // (rank-safe products: tfjs-wasm is wrong at rank 7, tfjs-webgpu stops at 6)
    for (const [a, b] of [...s.constantBlockDiagonal, ...s.blockDiagonal]) {
      const eye = tf.reshape(tf.eye(y[a]), at([[a, 0], [ry + b, 0]], [y[a], w[b]]));
      d = mulB(d, eye);
    }
    if (s.selection) {
      const { yAxes, wAxis, indices } = s.selection;
      // The one-hot of the indices, built in two dimensions, then placed in the frame.
      const n = w[wAxis];
      const hot = oneHotRows(indices, n);
      const shape = frame.map(() => 1);
      yAxes.forEach((a) => (shape[a] = y[a]));
      shape[ry + wAxis] = n;
      d = mulB(d, tf.reshape(hot, shape));
    }
    return broadcastToB(d, [...y, ...w]);
  });
}

/** The part of a rule that `denseJacobian` needs: apply the linear map to tangents. */
export interface LinearApply {
  apply(eqn: Eqn, tangents: (tf.Tensor | null)[], lead: number): tf.Tensor;
}

/**
 * The dense derivative D[y…, w…] of an equation w.r.t. the var in `slot`, by applying its rule
 * (the caller passes it: the core does not know the rule table) to an identity basis of w — the
 * oracle for structures, and the fallback for rules without one.
 */
export function denseJacobian(rule: LinearApply, eqn: Eqn, slot: number): tf.Tensor {
  const o = eqn.in[slot];
  if (!isVar(o)) throw new RuleContractError(eqn.prim, `operand ${slot} is a const`);
  const w = o.var.shape, y = eqn.out.shape;
  const n = w.reduce((a, b) => a * b, 1);
  return tf.tidy(() => {
    const basis = tf.reshape(tf.eye(n), [n, ...w]);
    const tangents = eqn.in.map((_, i) => (i === slot ? basis : null));
    const out = rule.apply(eqn, tangents, 1); // [n, ...y]
    const flat = tf.reshape(out, [n, -1]);
    return tf.reshape(tf.transpose(flat), [...y, ...w]);
  });
}
