// Kernel cases of the structural family: shape, indexing, reductions, resizing, softmax, einsum.
import * as tf from "@tensorflow/tfjs";
import type { KernelCase, Params } from "../_harness.ts";
import { ints, randn } from "../../_data.ts";

type Fn = (p: Params) => tf.Tensor;

/**
 * A reference for a kernel whose tfjs gradient is missing or wrong: the same function written
 * with ops whose tfjs gradients are right. It first checks that it computes what `fn` computes,
 * so that the reference cannot drift from the kernel it stands for.
 */
function checked(fn: Fn, ref: Fn): Fn {
  return (p) => {
    const r = ref(p);
    const [diff, scale] = tf.tidy(() => {
      const y = fn(p);
      if (y.shape.join() !== r.shape.join()) {
        throw new Error(`reference shape [${r.shape}] ≠ kernel shape [${y.shape}]`);
      }
      return [tf.max(tf.abs(tf.sub(y, r))).dataSync()[0], tf.max(tf.abs(y)).dataSync()[0]];
    });
    if (!(diff <= 1e-5 * (1 + scale))) throw new Error(`reference differs from the kernel by ${diff}`);
    return r;
  };
}

/** Entries `idx` of axis `axis` (a JS index list), via GatherV2 (whose tfjs gradient is right). */
const pick = (x: tf.Tensor, idx: number[], axis: number) => tf.gather(x, tf.tensor1d(idx, "int32"), axis);

/** Einsum by broadcasting products and sums (differentiable in tfjs, unlike its Einsum kernel). */
function einsumRef(eq: string, ...ts: tf.Tensor[]): tf.Tensor {
  const [ins, out] = eq.split("->");
  const terms = ins.split(",");
  const all = [...new Set([...out, ...ins.replace(",", "")])];
  const aligned = ts.map((t, i) => {
    const own = [...terms[i]];
    const order = all.filter((l) => own.includes(l));
    const moved = tf.transpose(t, order.map((l) => own.indexOf(l)));
    return tf.reshape(moved, all.map((l) => (own.includes(l) ? t.shape[own.indexOf(l)] : 1)));
  });
  const prod = aligned.reduce((a, b) => tf.mul(a, b));
  const summed = all.flatMap((l, i) => (out.includes(l) ? [] : [i]));
  const kept = all.filter((l) => out.includes(l));
  const s = summed.length ? tf.sum(prod, summed) : prod;
  return tf.transpose(s, [...out].map((l) => kept.indexOf(l)));
}

/** tfjs's resize source coordinate along one axis (the kernels' formulas, restated). */
function source(inSize: number, outSize: number, align: boolean, half: boolean, r: number, nearest: boolean): number {
  const a = align && outSize > 1;
  const ratio = (a ? inSize - 1 : inSize) / (a ? outSize - 1 : outSize);
  if (nearest) return half ? ratio * (r + 0.5) : ratio * r;
  return half ? ratio * (r + 0.5) - 0.5 : ratio * r;
}

/** Bilinear resize as gathers of the two neighbours and a lerp, one spatial axis at a time. */
function bilinearRef(x: tf.Tensor, size: [number, number], align: boolean, half: boolean): tf.Tensor {
  const along = (t: tf.Tensor, axis: number, outSize: number) => {
    const n = t.shape[axis];
    const src = Array.from({ length: outSize }, (_, r) => source(n, outSize, align, half, r, false));
    const lo = src.map((s) => Math.max(0, Math.floor(s)));
    const hi = src.map((s) => Math.min(n - 1, Math.ceil(s)));
    const frac = tf.reshape(
      tf.tensor1d(src.map((s, r) => s - lo[r])),
      t.shape.map((_, i) => (i === axis ? outSize : 1)),
    );
    const a = pick(t, lo, axis);
    return tf.add(a, tf.mul(tf.sub(pick(t, hi, axis), a), frac));
  };
  return along(along(x, 1, size[0]), 2, size[1]);
}

function nearestRef(x: tf.Tensor, size: [number, number], align: boolean, half: boolean): tf.Tensor {
  const along = (t: tf.Tensor, axis: number, outSize: number) => {
    const n = t.shape[axis];
    const idx = Array.from({ length: outSize }, (_, r) => {
      const s = source(n, outSize, align, half, r, true);
      const near = Math.min(n - 1, align ? Math.round(s) : Math.floor(s));
      return half ? Math.max(0, near) : near;
    });
    return pick(t, idx, axis);
  };
  return along(along(x, 1, size[0]), 2, size[1]);
}

/** DepthToSpace as one gather of flat entries, at the input index the cpu kernel's loop reads. */
function depthToSpaceRef(x: tf.Tensor, b: number): tf.Tensor {
  const [n, h, w, d] = x.shape;
  const [oh, ow, od] = [h * b, w * b, d / (b * b)];
  const idx: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < oh; r++) {
      for (let c = 0; c < ow; c++) {
        for (let e = 0; e < od; e++) {
          const inD = e + ((r % b) * b + (c % b)) * od;
          idx.push(inD + d * (Math.floor(c / b) + w * (Math.floor(r / b) + h * i)));
        }
      }
    }
  }
  return tf.reshape(pick(tf.reshape(x, [-1]), idx, 0), [n, oh, ow, od]);
}

/** Mirror padding as slices, reverses and concats (whose tfjs gradients are right). */
function mirrorPadRef(x: tf.Tensor, paddings: [number, number][], mode: "reflect" | "symmetric"): tf.Tensor {
  const skip = mode === "reflect" ? 1 : 0;
  return paddings.reduce((t, [lo, hi], axis) => {
    const n = t.shape[axis];
    const part = (start: number, size: number) =>
      tf.reverse(
        tf.slice(t, t.shape.map((_, i) => (i === axis ? start : 0)), t.shape.map((s, i) => (i === axis ? size : s))),
        axis,
      );
    const parts = [...(lo ? [part(skip, lo)] : []), t, ...(hi ? [part(n - hi - skip, hi)] : [])];
    return parts.length > 1 ? tf.concat(parts, axis) : t;
  }, x);
}

/** GatherNd as a stack of one slice per index tuple. */
function gatherNdRef(params: tf.Tensor, indices: tf.Tensor): tf.Tensor {
  const depth = indices.shape[indices.rank - 1];
  const tuples = tf.reshape(indices, [-1, depth]).arraySync() as number[][];
  const rest = params.shape.slice(depth);
  const parts = tuples.map((t) =>
    tf.reshape(tf.slice(params, [...t, ...rest.map(() => 0)], [...t.map(() => 1), ...rest]), rest)
  );
  return tf.reshape(tf.stack(parts), [...indices.shape.slice(0, -1), ...rest]);
}

/** ScatterNd as a sum of zero-padded updates, one per index tuple. */
function scatterNdRef(indices: tf.Tensor, updates: tf.Tensor, shape: number[]): tf.Tensor {
  const depth = indices.shape[indices.rank - 1];
  const tuples = tf.reshape(indices, [-1, depth]).arraySync() as number[][];
  const rest = shape.slice(depth);
  const flat = tf.reshape(updates, [tuples.length, ...rest]);
  const placed = tuples.map((t, i) => {
    const u = tf.reshape(tf.slice(flat, [i, ...rest.map(() => 0)], [1, ...rest]), [...t.map(() => 1), ...rest]);
    return tf.pad(u, shape.map((s, a) => (a < depth ? [t[a], s - t[a] - 1] : [0, 0]) as [number, number]));
  });
  return tf.addN(placed);
}

/** Cumsum along a non-last axis through the last axis (tfjs's Cumsum gradient fails elsewhere). */
function cumsumRef(x: tf.Tensor, axis: number, exclusive: boolean, reverse: boolean): tf.Tensor {
  const last = x.rank - 1;
  const perm = x.shape.map((_, i) => (i === axis ? last : i === last ? axis : i));
  return tf.transpose(tf.cumsum(tf.transpose(x, perm), last, exclusive, reverse), perm);
}

const gnIdx = () => tf.tensor2d([[4, 1], [0, 3], [4, 1], [2, 0]], [4, 2], "int32");
const snIdx = () => tf.tensor2d([[3], [0], [3], [1], [2]], [5, 1], "int32");

export const CASES: KernelCase[] = [
  // ---- Concat, Pack, Unpack, SplitV
  {
    kernel: "Concat",
    variant: "axis 1, three inputs",
    params: () => ({ a: randn([4, 3], 1), b: randn([4, 2], 2), c: randn([4, 5], 3) }),
    fn: (p) => tf.concat([p.a, p.b, p.c], 1),
  },
  {
    kernel: "Concat",
    variant: "axis -1, a part without tangent",
    params: () => ({ a: randn([4, 3, 2], 1), b: randn([4, 3, 5], 2) }),
    fn: (p) => tf.concat([p.a, randn([4, 3, 1], 9), p.b], -1),
  },
  {
    kernel: "Concat",
    variant: "axis 0 (the row axis)",
    params: () => ({ a: randn([2, 3], 1), b: randn([3, 3], 2) }),
    fn: (p) => tf.concat([p.a, p.b], 0),
  },
  {
    kernel: "Pack",
    variant: "axis 1",
    params: () => ({ a: randn([4, 3], 1), b: randn([4, 3], 2) }),
    fn: (p) => tf.stack([p.a, p.b], 1),
  },
  {
    kernel: "Pack",
    variant: "axis -1, a part without tangent",
    params: () => ({ a: randn([4, 3], 1), b: randn([4, 3], 2) }),
    fn: (p) => tf.stack([p.a, randn([4, 3], 9), p.b], -1),
  },
  {
    kernel: "Pack",
    variant: "axis 0",
    params: () => ({ a: randn([4, 3], 1), b: randn([4, 3], 2), c: randn([4, 3], 3) }),
    fn: (p) => tf.stack([p.a, p.b, p.c], 0),
  },
  {
    kernel: "Unpack",
    variant: "axis 1, outputs reordered",
    params: () => ({ a: randn([4, 3, 2], 1) }),
    fn: (p) => {
      const [x0, x1, x2] = tf.unstack(p.a, 1);
      return tf.concat([x2, x0, x1], 1);
    },
  },
  {
    kernel: "Unpack",
    variant: "axis 0",
    params: () => ({ a: randn([3, 4, 2], 1) }),
    fn: (p) => {
      const [x0, x1, x2] = tf.unstack(p.a, 0);
      return tf.concat([x1, x2, x0], 1);
    },
  },
  {
    kernel: "Unpack",
    variant: "axis -1, one output used",
    params: () => ({ a: randn([4, 3, 2], 1) }),
    fn: (p) => tf.unstack(p.a, -1)[1],
  },
  {
    kernel: "SplitV",
    variant: "3 equal parts, axis 1",
    params: () => ({ a: randn([4, 6, 2], 1) }),
    fn: (p) => {
      const [x0, x1, x2] = tf.split(p.a, 3, 1);
      return tf.concat([x2, x0, x1], 2);
    },
  },
  {
    kernel: "SplitV",
    variant: "sizes with -1, axis -1",
    params: () => ({ a: randn([4, 3, 7], 1) }),
    fn: (p) => {
      const [x0, x1, x2] = tf.split(p.a, [1, -1, 2], -1);
      return tf.concat([x1, x2, x0], -1);
    },
  },
  {
    kernel: "SplitV",
    variant: "axis 0, one part used",
    params: () => ({ a: randn([7, 3], 1) }),
    fn: (p) => tf.split(p.a, [2, 5], 0)[1],
  },
  // ---- Slice, StridedSlice
  {
    kernel: "Slice",
    variant: "size -1",
    params: () => ({ a: randn([4, 3, 5], 1) }),
    fn: (p) => tf.slice(p.a, [1, 0, 1], [2, -1, 3]),
  },
  {
    kernel: "Slice",
    variant: "rows kept, short begin",
    params: () => ({ a: randn([4, 5], 1) }),
    fn: (p) => tf.slice(p.a, [0, 2], [-1, 2]),
  },
  {
    kernel: "StridedSlice",
    variant: "strides 2 and 3",
    params: () => ({ a: randn([5, 6, 4], 1) }),
    fn: (p) => tf.stridedSlice(p.a, [0, 1, 0], [5, 6, 4], [2, 3, 1]),
    reference: checked(
      (p) => tf.stridedSlice(p.a, [0, 1, 0], [5, 6, 4], [2, 3, 1]),
      (p) => pick(pick(p.a, [0, 2, 4], 0), [1, 4], 1),
    ),
  },
  {
    kernel: "StridedSlice",
    variant: "negative stride, begin/end masks",
    params: () => ({ a: randn([4, 7], 1) }),
    // x[:, 5:0:-2] with axis 0 taken whole by the masks.
    fn: (p) => tf.stridedSlice(p.a, [0, 5], [0, 0], [1, -2], 1, 1),
    reference: checked((p) => tf.stridedSlice(p.a, [0, 5], [0, 0], [1, -2], 1, 1), (p) => pick(p.a, [5, 3, 1], 1)),
  },
  {
    kernel: "StridedSlice",
    variant: "negative begin/end, stride -1",
    params: () => ({ a: randn([4, 7], 1) }),
    // x[1:, -2:-6:-1]
    fn: (p) => tf.stridedSlice(p.a, [1, -2], [4, -6], [1, -1]),
    reference: checked(
      (p) => tf.stridedSlice(p.a, [1, -2], [4, -6], [1, -1]),
      (p) => pick(pick(p.a, [1, 2, 3], 0), [5, 4, 3, 2], 1),
    ),
  },
  {
    kernel: "StridedSlice",
    variant: "shrink axis",
    params: () => ({ a: randn([4, 3, 5], 1) }),
    // x[:, 1, 1:]
    fn: (p) => tf.stridedSlice(p.a, [0, 1, 1], [0, 2, 5], [1, 1, 1], 1, 1, 0, 0, 2),
    reference: checked(
      (p) => tf.stridedSlice(p.a, [0, 1, 1], [0, 2, 5], [1, 1, 1], 1, 1, 0, 0, 2),
      (p) => tf.squeeze(pick(pick(p.a, [1], 1), [1, 2, 3, 4], 2), [1]),
    ),
  },
  {
    kernel: "StridedSlice",
    variant: "ellipsis and new axis",
    params: () => ({ a: randn([4, 3, 5], 1) }),
    // x[..., None, 1:5:2]
    fn: (p) => tf.stridedSlice(p.a, [0, 0, 1], [0, 0, 5], [1, 1, 2], 0, 0, 1, 2),
    reference: checked(
      (p) => tf.stridedSlice(p.a, [0, 0, 1], [0, 0, 5], [1, 1, 2], 0, 0, 1, 2),
      (p) => tf.expandDims(pick(p.a, [1, 3], 2), 2),
    ),
  },
  // ---- Tile, PadV2, MirrorPad, Reverse
  {
    kernel: "Tile",
    variant: "rows kept",
    params: () => ({ a: randn([4, 3], 1) }),
    fn: (p) => tf.tile(p.a, [1, 2]),
  },
  {
    kernel: "Tile",
    variant: "rows repeated",
    params: () => ({ a: randn([2, 3, 2], 1) }),
    fn: (p) => tf.tile(p.a, [2, 1, 3]),
  },
  {
    kernel: "PadV2",
    variant: "constant 1.5",
    params: () => ({ a: randn([4, 3, 2], 1) }),
    fn: (p) => tf.pad(p.a, [[0, 0], [1, 2], [2, 0]], 1.5),
  },
  {
    kernel: "PadV2",
    variant: "row axis padded",
    params: () => ({ a: randn([4, 3], 1) }),
    fn: (p) => tf.pad(p.a, [[1, 0], [0, 1]]),
  },
  ...(["reflect", "symmetric"] as const).flatMap((mode): KernelCase[] => {
    // tfjs's MirrorPad gradient only crops dy, dropping the mirrored entries' share.
    const pads: [number, number][][] = [[[0, 0], [2, 1], [1, 2]], [[1, 2], [0, 0], [2, 0]]];
    return pads.map((pad, i) => ({
      kernel: "MirrorPad",
      variant: `${mode}, ${i === 0 ? "rows kept" : "row axis padded"}`,
      params: () => ({ a: randn([4, 3, 5], 1) }),
      fn: (p) => tf.mirrorPad(p.a, pad, mode),
      reference: checked((p) => tf.mirrorPad(p.a, pad, mode), (p) => mirrorPadRef(p.a, pad, mode)),
    }));
  }),
  {
    kernel: "Reverse",
    variant: "axis 1",
    params: () => ({ a: randn([4, 3, 2], 1) }),
    fn: (p) => tf.reverse(p.a, 1),
  },
  {
    kernel: "Reverse",
    variant: "row axis and -1",
    params: () => ({ a: randn([4, 3, 2], 1) }),
    fn: (p) => tf.reverse(p.a, [0, -1]),
  },
  // ---- GatherV2, GatherNd, ScatterNd (duplicate indices on purpose)
  {
    kernel: "GatherV2",
    variant: "axis 1, duplicates",
    params: () => ({ a: randn([4, 3, 2], 1) }),
    fn: (p) => tf.gather(p.a, tf.tensor1d([2, 0, 2, 1, 2], "int32"), 1),
  },
  {
    kernel: "GatherV2",
    variant: "axis 0, 2-D indices",
    params: () => ({ a: randn([4, 3], 1) }),
    fn: (p) => tf.gather(p.a, ints([5, 2], 4, 3), 0),
  },
  {
    kernel: "GatherV2",
    variant: "axis -1",
    params: () => ({ a: randn([4, 3, 5], 1) }),
    fn: (p) => tf.gather(p.a, tf.tensor1d([4, 0, 3], "int32"), -1),
  },
  {
    kernel: "GatherV2",
    variant: "batchDims 1, axis 1",
    params: () => ({ a: randn([4, 5, 3], 1) }),
    fn: (p) => tf.gather(p.a, ints([4, 2], 5, 4), 1, 1),
    // tfjs-wasm's GatherV2 with batchDims > 0 writes out of bounds, corrupting later tests.
    backends: ["cpu", "webgpu"],
  },
  {
    kernel: "GatherV2",
    variant: "batchDims 1, axis 2",
    params: () => ({ a: randn([4, 3, 5], 1) }),
    fn: (p) => tf.gather(p.a, ints([4, 2], 5, 5), 2, 1),
    // tfjs-wasm's GatherV2 with batchDims > 0 writes out of bounds (and, here, returns wrong
    // values), corrupting later tests.
    backends: ["cpu", "webgpu"],
  },
  {
    kernel: "GatherNd",
    variant: "pairs into [5, 4, 3]",
    params: () => ({ a: randn([5, 4, 3], 1) }),
    fn: (p) => tf.gatherND(p.a, gnIdx()),
    reference: checked((p) => tf.gatherND(p.a, gnIdx()), (p) => gatherNdRef(p.a, gnIdx())),
  },
  {
    kernel: "GatherNd",
    variant: "single index, batched tuples",
    params: () => ({ a: randn([5, 4, 3], 1) }),
    fn: (p) => tf.gatherND(p.a, tf.tensor3d([[[1], [4]], [[0], [1]], [[3], [3]]], [3, 2, 1], "int32")),
    reference: checked(
      (p) => tf.gatherND(p.a, tf.tensor3d([[[1], [4]], [[0], [1]], [[3], [3]]], [3, 2, 1], "int32")),
      (p) => gatherNdRef(p.a, tf.tensor3d([[[1], [4]], [[0], [1]], [[3], [3]]], [3, 2, 1], "int32")),
    ),
  },
  {
    kernel: "GatherNd",
    variant: "full-depth tuples (scalars)",
    params: () => ({ a: randn([5, 4], 1) }),
    fn: (p) => tf.gatherND(p.a, tf.tensor2d([[3, 1], [0, 2], [3, 1]], [3, 2], "int32")),
    reference: checked(
      (p) => tf.gatherND(p.a, tf.tensor2d([[3, 1], [0, 2], [3, 1]], [3, 2], "int32")),
      (p) => gatherNdRef(p.a, tf.tensor2d([[3, 1], [0, 2], [3, 1]], [3, 2], "int32")),
    ),
  },
  {
    kernel: "ScatterNd",
    variant: "rows, duplicates",
    params: () => ({ u: randn([5, 3], 1) }),
    fn: (p) => tf.scatterND(snIdx(), p.u, [4, 3]),
    reference: checked((p) => tf.scatterND(snIdx(), p.u, [4, 3]), (p) => scatterNdRef(snIdx(), p.u, [4, 3])),
  },
  {
    kernel: "ScatterNd",
    variant: "pairs into [3, 4, 2]",
    params: () => ({ u: randn([4, 2], 1) }),
    fn: (p) => tf.scatterND(tf.tensor2d([[2, 1], [0, 3], [2, 1], [1, 0]], [4, 2], "int32"), p.u, [3, 4, 2]),
    reference: checked(
      (p) => tf.scatterND(tf.tensor2d([[2, 1], [0, 3], [2, 1], [1, 0]], [4, 2], "int32"), p.u, [3, 4, 2]),
      (p) => scatterNdRef(tf.tensor2d([[2, 1], [0, 3], [2, 1], [1, 0]], [4, 2], "int32"), p.u, [3, 4, 2]),
    ),
  },
  {
    kernel: "ScatterNd",
    variant: "full-depth tuples (scalars)",
    params: () => ({ u: randn([4], 1) }),
    fn: (p) => tf.scatterND(tf.tensor2d([[2, 1], [0, 3], [2, 1], [1, 0]], [4, 2], "int32"), p.u, [3, 4]),
    reference: checked(
      (p) => tf.scatterND(tf.tensor2d([[2, 1], [0, 3], [2, 1], [1, 0]], [4, 2], "int32"), p.u, [3, 4]),
      (p) => scatterNdRef(tf.tensor2d([[2, 1], [0, 3], [2, 1], [1, 0]], [4, 2], "int32"), p.u, [3, 4]),
    ),
  },
  // ---- Cumsum
  {
    kernel: "Cumsum",
    variant: "last axis",
    params: () => ({ a: randn([4, 5], 1) }),
    fn: (p) => tf.cumsum(p.a, 1),
  },
  {
    kernel: "Cumsum",
    variant: "exclusive",
    params: () => ({ a: randn([4, 5], 1) }),
    // axis 1, not -1: tfjs's Cumsum kernel mis-shapes its output for a negative axis.
    fn: (p) => tf.cumsum(p.a, 1, true),
  },
  {
    kernel: "Cumsum",
    variant: "reverse",
    params: () => ({ a: randn([4, 5], 1) }),
    fn: (p) => tf.cumsum(p.a, 1, false, true),
  },
  {
    kernel: "Cumsum",
    variant: "exclusive reverse, middle axis",
    params: () => ({ a: randn([4, 5, 3], 1) }),
    fn: (p) => tf.cumsum(p.a, 1, true, true),
    reference: (p) => cumsumRef(p.a, 1, true, true),
  },
  {
    kernel: "Cumsum",
    variant: "row axis",
    params: () => ({ a: randn([5, 3], 1) }),
    fn: (p) => tf.cumsum(p.a, 0),
    reference: (p) => cumsumRef(p.a, 0, false, false),
  },
  // ---- Max, Min, Prod
  {
    kernel: "Max",
    variant: "axis 1",
    params: () => ({ a: randn([4, 5, 3], 1) }),
    fn: (p) => tf.max(p.a, 1),
  },
  {
    kernel: "Max",
    variant: "axes [1, 2], keepDims",
    params: () => ({ a: randn([4, 5, 3], 1) }),
    fn: (p) => tf.max(p.a, [1, 2], true),
  },
  {
    kernel: "Max",
    variant: "all axes",
    params: () => ({ a: randn([4, 3], 1) }),
    fn: (p) => tf.max(p.a),
  },
  {
    kernel: "Max",
    variant: "ties (tfjs: every tie gets dy)",
    params: () => ({ a: tf.tensor2d([[1, 3, 3, 0], [2, -1, 2, 2], [0.5, 4, -4, 1], [7, 7, 7, 7]]) }),
    fn: (p) => tf.max(p.a, -1),
  },
  {
    kernel: "Min",
    variant: "axis -1, keepDims",
    params: () => ({ a: randn([4, 3, 5], 1) }),
    fn: (p) => tf.min(p.a, -1, true),
  },
  {
    kernel: "Min",
    variant: "ties (tfjs: every tie gets dy)",
    params: () => ({ a: tf.tensor2d([[1, 0, 0, 3], [2, -1, -1, 2], [0.5, 4, -4, 1], [7, 7, 7, 7]]) }),
    fn: (p) => tf.min(p.a, 1),
  },
  {
    kernel: "Prod",
    variant: "axis 1",
    params: () => ({ a: randn([4, 3, 2], 1) }),
    fn: (p) => tf.prod(p.a, 1),
  },
  {
    kernel: "Prod",
    variant: "axes [0, 2], keepDims",
    params: () => ({ a: randn([4, 3, 2], 1) }),
    fn: (p) => tf.prod(p.a, [0, 2], true),
    // tfjs-webgpu's Prod drops the kept size-1 axes ([3], not [1, 3, 1]).
    backends: ["cpu", "wasm"],
  },
  {
    kernel: "Prod",
    variant: "axes [1, 2]",
    params: () => ({ a: randn([4, 3, 2], 1) }),
    fn: (p) => tf.prod(p.a, [1, 2]),
  },
  {
    kernel: "Prod",
    variant: "one and two zeros (product of the others)",
    params: () => ({
      a: tf.tidy(() => tf.mul(randn([4, 3], 1), tf.tensor2d([[1, 1, 1], [1, 0, 1], [0, 1, 0], [1, 1, 1]]))),
    }),
    // axis 1, not -1: tfjs's Prod gradient fails for a negative axis.
    fn: (p) => tf.prod(p.a, 1),
  },
  // ---- Softmax, logSoftmax
  {
    kernel: "Softmax",
    params: () => ({ a: randn([4, 5], 1) }),
    fn: (p) => tf.softmax(p.a),
  },
  {
    kernel: "Softmax",
    variant: "rank 3",
    params: () => ({ a: randn([4, 3, 5], 1, 2) }),
    fn: (p) => tf.softmax(p.a, -1),
  },
  {
    // tf.logSoftmax traces as Max, Sub, Cast, Exp, Sum, Log, Sub inside a custom-gradient frame.
    kernel: "Max",
    variant: "in logSoftmax",
    params: () => ({ a: randn([4, 5], 1, 2) }),
    fn: (p) => tf.logSoftmax(p.a),
  },
  // ---- ResizeBilinear, ResizeNearestNeighbor. tfjs's cpu gradients for these swap H and W
  // (ResizeBilinearGrad's output shape), ignore halfPixelCenters, and (nearest) misread dy for
  // batch > 1, so the reference is each resize restated with gathers.
  ...([[false, false], [true, false], [false, true]] as const).flatMap(([align, half]): KernelCase[] => {
    const tag = align ? "alignCorners" : half ? "halfPixelCenters" : "plain";
    const sizes: [number, number, number, number, [number, number]][] = [[2, 3, 4, 2, [5, 7]], [3, 6, 5, 2, [4, 3]]];
    return sizes.flatMap(([n, h, w, c, size]) => {
      const variant = `${tag}, [${h}, ${w}] → [${size}]`;
      const params = () => ({ a: randn([n, h, w, c], 1) });
      const bilinear = (p: Params) => tf.image.resizeBilinear(p.a as tf.Tensor4D, size, align, half);
      const nearest = (p: Params) => tf.image.resizeNearestNeighbor(p.a as tf.Tensor4D, size, align, half);
      return [
        {
          kernel: "ResizeBilinear",
          variant,
          params,
          fn: bilinear,
          reference: checked(bilinear, (p) => bilinearRef(p.a, size, align, half)),
        },
        {
          kernel: "ResizeNearestNeighbor",
          variant,
          params,
          fn: nearest,
          reference: checked(nearest, (p) => nearestRef(p.a, size, align, half)),
        },
      ];
    });
  }),
  // ---- DepthToSpace, SpaceToBatchND, BatchToSpaceND
  ...([[2, [2, 3, 2, 8]], [3, [3, 2, 1, 18]]] as const).map(([b, shape]): KernelCase => ({
    kernel: "DepthToSpace",
    variant: `block ${b}`,
    params: () => ({ a: randn([...shape], 1) }),
    fn: (p) => tf.depthToSpace(p.a as tf.Tensor4D, b),
    reference: checked((p) => tf.depthToSpace(p.a as tf.Tensor4D, b), (p) => depthToSpaceRef(p.a, b)),
  })),
  {
    kernel: "SpaceToBatchND",
    variant: "block [2, 3]",
    params: () => ({ a: randn([2, 4, 6, 3], 1) }),
    fn: (p) => tf.spaceToBatchND(p.a, [2, 3], [[0, 0], [0, 0]]),
  },
  {
    kernel: "SpaceToBatchND",
    variant: "block [2, 2], padded",
    params: () => ({ a: randn([2, 3, 5, 2], 1) }),
    fn: (p) => tf.spaceToBatchND(p.a, [2, 2], [[1, 0], [1, 2]]),
  },
  {
    kernel: "SpaceToBatchND",
    variant: "1-D block, padded",
    params: () => ({ a: randn([2, 5, 3], 1) }),
    fn: (p) => tf.spaceToBatchND(p.a, [3], [[1, 0]]),
  },
  {
    kernel: "BatchToSpaceND",
    variant: "block [2, 3]",
    params: () => ({ a: randn([12, 2, 3, 2], 1) }),
    fn: (p) => tf.batchToSpaceND(p.a, [2, 3], [[0, 0], [0, 0]]),
  },
  {
    kernel: "BatchToSpaceND",
    variant: "block [2, 2], cropped",
    params: () => ({ a: randn([8, 2, 3, 1], 1) }),
    fn: (p) => tf.batchToSpaceND(p.a, [2, 2], [[1, 0], [0, 2]]),
  },
  // ---- Einsum: tfjs has no Einsum gradient (the reference is einsumRef), and the wasm backend
  // has no Einsum kernel at all, so these run on cpu and webgpu only.
  ...([
    ["ij,jk->ik", [[4, 3], [3, 5]], true],
    ["bij,bjk->bik", [[4, 2, 3], [4, 3, 5]], true],
    ["ij,kj->ki", [[4, 3], [5, 3]], true],
    ["ijk,jl->il", [[4, 3, 2], [3, 5]], true],
    ["ij,jk->i", [[4, 3], [3, 5]], true],
    ["ij,ij->i", [[4, 3], [4, 3]], true],
    ["i,j->ij", [[4], [3]], true],
    ["ij,j->i", [[4, 3], [3]], false],
    ["ijk->ki", [[4, 3, 2]], true],
  ] as const).map(([eq, shapes, allParams]): KernelCase => {
    const operands = (p: Params) => shapes.map((s, i) => p[`x${i}`] ?? randn([...s], 20 + i));
    return {
      kernel: "Einsum",
      variant: `${eq}${allParams ? "" : ", one operand without tangent"}`,
      params: () =>
        Object.fromEntries(
          shapes.slice(0, allParams ? shapes.length : 1).map((s, i) => [`x${i}`, randn([...s], 1 + i)]),
        ),
      fn: (p) => tf.einsum(eq, ...operands(p)),
      reference: checked((p) => tf.einsum(eq, ...operands(p)), (p) => einsumRef(eq, ...operands(p))),
      backends: ["cpu", "webgpu"],
    };
  }),
];
