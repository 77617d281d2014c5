// The tangent of a (batched, possibly transposed) matrix product a·b, as dot_generals.
import * as tf from "@tensorflow/tfjs";
import type { Var } from "../../src/core/ir.ts";
import type { Arg, KernelCtx } from "./types.ts";
import * as E from "./_emit.ts";
import { range } from "../../src/core/axes.ts";

interface Side {
  value: tf.Tensor;
  tangent: Var | null;
  transposed: boolean;
}

/** Brings an operand's batch axes to `batch` (numpy broadcasting) or drops all-1 batch axes. */
function prepare(k: KernelCtx, s: Side, batch: number[]): { arg: Arg; v: Var | null; c: tf.Tensor; batched: boolean } {
  const shape = s.value.shape;
  const own = shape.slice(0, -2);
  const mat = shape.slice(-2);
  if (own.length === batch.length && own.every((d, i) => d === batch[i])) {
    return { arg: s.value, v: s.tangent, c: s.value, batched: true };
  }
  if (own.every((d) => d === 1)) {
    return { arg: s.value, v: E.reshape(k, s.tangent, mat), c: tf.reshape(s.value, mat), batched: false };
  }
  const full = [...batch, ...mat];
  return { arg: s.value, v: E.broadcastTo(k, s.tangent, full), c: tf.broadcastTo(s.value, full), batched: true };
}

/** d(a·b) = da·b + a·db for matMul / BatchMatMul semantics (broadcast batch axes). */
export function matmulTangent(
  k: KernelCtx,
  a: Side,
  b: Side,
  outShape: number[],
): Var | null {
  const batch = outShape.slice(0, -2);
  const nb = batch.length;
  const pa = prepare(k, a, batch), pb = prepare(k, b, batch);
  const ra = pa.c.rank, rb = pb.c.rank;
  // Contracted axis of each side, and batch axes where both sides carry them.
  const ca = a.transposed ? ra - 2 : ra - 1;
  const cb = b.transposed ? rb - 1 : rb - 2;
  const both = pa.batched && pb.batched;
  const params = {
    contract: [[ca], [cb]] as [number[], number[]],
    batch: (both ? [range(nb), range(nb)] : [[], []]) as [number[], number[]],
  };
  // dot_general gives batch, lhs free, rhs free. Only when b alone carries batch axes is
  // that [M, ...batch, N]: move M behind the batch axes.
  const dotShape = () => {
    const freeA = range(ra).filter((i) => i !== ca && !(both && i < nb)).map((i) => pa.c.shape[i]);
    const freeB = range(rb).filter((i) => i !== cb && !(both && i < nb)).map((i) => pb.c.shape[i]);
    return [...(both ? batch : []), ...freeA, ...freeB];
  };
  const toOut = (v: E.T): E.T =>
    !pa.batched && pb.batched && nb > 0 ? E.transpose(k, v, [...range(nb, 1), 0, nb + 1]) : v;
  const shape = dotShape();
  const t1 = pa.v && k.emit("dot_general", [pa.v, pb.c], params, shape);
  const t2 = pb.v && k.emit("dot_general", [pa.c, pb.v], params, shape);
  return toOut(E.add(k, t1, t2));
}
