/**
 * Corrected tfjs 4.22 backend kernels, registered in place of the originals (tfjs bug
 * workarounds; node_modules stays untouched), so that f's own forward pass is right too. Each
 * wraps the original and differs only where it is wrong:
 * - webgpu PadV2 from rank 5: all zeros; wasm PadV2 above rank 6: wrong values. Padded one
 *   axis at a time through [outer, n, inner] views, each by the original kernel.
 * - webgpu Select (tf.where) from rank 5: "Where for rank 5 is not yet supported". tf.where
 *   broadcasts its operands to one shape first, so a flat view of each runs the original.
 * - webgpu Conv2D, DepthwiseConv2dNative and their fused forms with an empty output (a batch
 *   of 0): the im2col path throws halfway ("Size(n) must match the product of shape 0,…") and
 *   leaves the filter's buffer free for reuse, so the caller's filter reads back changed (zeros);
 *   wasm's DepthwiseConv2dNative of zero channels divides by zero. With an empty operand the
 *   output (empty, or zeros: a sum over no channels) is returned without running anything.
 * - Conv2D, DepthwiseConv2dNative, FusedConv2D, FusedDepthwiseConv2D with pad 'same': XNNPACK's
 *   TensorFlow-SAME mode is wrong when an axis needs a negative pad (stride 2, kernel 1, even
 *   size) while another is padded. The same pads, given explicitly, are right.
 * - MaxPool3D: its running maximum starts at FLT_MIN, not −∞, so a window of negative values
 *   pools to 1.18e-38. Computed here on the host (wasm memory is host memory).
 * - wasm binary kernels (Add … SquaredDifference, comparisons, logical) return wrong values when
 *   the output has more than 6 axes. Axes that broadcast alike are merged first; what still has
 *   more than 6 runs on operands broadcast on the host to one shape, as flat views.
 * - webgpu kernels throw "GPU for rank 7 is not yet supported" above rank 6: elementwise kernels of
 *   one operand run on a flat view, binary ones on merged axes where at most 6 remain.
 * - BatchMatMul and Conv2D/3D backprop-input with an empty operand: webgpu returned stale buffer
 *   contents (a sum over an empty axis is zero) or, with an empty batch, freed an operand's
 *   buffer (the caller's tensor read back changed). Zeros or the empty output, without running.
 * - Reductions over no entries disagree: wasm returns uninitialized memory, webgpu fails (sizes of
 *   NaN; "Dispatch size exceeds WebGPU limits"), cpu gives 0 for a mean, NaN for max/min and
 *   false for `all`. All three now give numpy's answer: the neutral element (0, 1, −∞ for max,
 *   +∞ for min, true for all, false for any) and NaN for a mean. webgpu's Softmax, Slice and
 *   SplitV with an empty output fail ("vals.subarray is not a function"): the empty output.
 * - wasm GatherV2 of an empty tensor returns a wrongly shaped output ([1, 0, 2, 1] for
 *   [0, 1, 3] gathered on axis 2): the empty output is made with tfjs-core's shape.
 * - wasm Slice (and Unpack, SplitV and StridedSlice's unit-stride case, which call it) read
 *   their input with `readSync`, a copy of the whole tensor, on every call: unstacking a 180 MiB
 *   tensor into 10 took 13 s; its other StridedSlice copies at 0.03 GB/s (a convolution's
 *   window slices). Here the input is read in place from the heap and only the slice is
 *   copied, in contiguous runs.
 * - wasm Sum over axes that are not innermost transposes its input first, at ≈0.4 GB/s: a float32
 *   sum adds rows of the innermost kept axes on the host instead.
 * - wasm Transpose moves 0.04–0.4 GB/s: rows copied on the host, after merging axes that move
 *   together, move 2.7–5 GB/s.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import "@tensorflow/tfjs-backend-webgpu";
import { coalesce, MAX_RANK } from "./tensor_ops.ts";
import { numel } from "./axes.ts";
import { stridedSliceInfo } from "./tensor_util.ts";

type Attrs = Record<string, unknown>;
type Inputs = Record<string, tf.TensorInfo>;
// deno-lint-ignore no-explicit-any
type Backend = any;

function replace(name: string, wrap: (original: tf.KernelFunc) => tf.KernelFunc, backend = "wasm"): void {
  const config = tf.getKernel(name, backend);
  if (!config) return;
  tf.unregisterKernel(name, backend);
  tf.registerKernel({ ...config, kernelFunc: wrap(config.kernelFunc) });
}

/** 'same' as the explicit pads tfjs computes for it (channels-last only, as tfjs-wasm). */
function explicitSame(name: string, depthwise: boolean): void {
  replace(name, (original) => (args) => {
    const { inputs, attrs } = args as unknown as { inputs: Inputs; attrs: Attrs };
    if (attrs.pad !== "same" || (attrs.dataFormat ?? "NHWC") !== "NHWC") return original(args);
    const x = inputs.x, filter = inputs.filter;
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      attrs.strides as number | [number, number],
      (attrs.dilations ?? 1) as number | [number, number],
      "same",
      undefined,
      depthwise,
    );
    const { top, bottom, left, right } = info.padInfo;
    const pad = [[0, 0], [top, bottom], [left, right], [0, 0]];
    return original({ ...args, attrs: { ...attrs, pad } } as unknown as Parameters<tf.KernelFunc>[0]);
  });
}

/** MaxPool3D (NDHWC) by loops over each window; padding never wins. */
function maxPool3d(args: { inputs: Inputs; attrs: Attrs; backend: Backend }): tf.TensorInfo {
  const { inputs, attrs, backend } = args;
  const x = inputs.x;
  const c = tf.backend_util.computePool3DInfo(
    x.shape as [number, number, number, number, number],
    attrs.filterSize as number,
    attrs.strides as number,
    1,
    attrs.pad as "same",
    attrs.dimRoundingMode as "floor" | undefined,
    attrs.dataFormat as "NDHWC" | undefined,
  );
  const src = backend.typedArrayFromHeap(x) as Float32Array;
  const out = backend.makeOutput(c.outShape, x.dtype);
  const dst = backend.typedArrayFromHeap(out) as Float32Array;
  const [D, H, W, C] = [c.inDepth, c.inHeight, c.inWidth, c.inChannels];
  let o = 0;
  for (let b = 0; b < c.batchSize; b++) {
    for (let od = 0; od < c.outDepth; od++) {
      const d0 = od * c.strideDepth - c.padInfo.front;
      for (let oh = 0; oh < c.outHeight; oh++) {
        const h0 = oh * c.strideHeight - c.padInfo.top;
        for (let ow = 0; ow < c.outWidth; ow++) {
          const w0 = ow * c.strideWidth - c.padInfo.left;
          for (let ch = 0; ch < C; ch++, o++) {
            let best = -Infinity;
            for (let kd = 0; kd < c.effectiveFilterDepth; kd += c.dilationDepth) {
              const d = d0 + kd;
              if (d < 0 || d >= D) continue;
              for (let kh = 0; kh < c.effectiveFilterHeight; kh += c.dilationHeight) {
                const h = h0 + kh;
                if (h < 0 || h >= H) continue;
                for (let kw = 0; kw < c.effectiveFilterWidth; kw += c.dilationWidth) {
                  const w = w0 + kw;
                  if (w < 0 || w >= W) continue;
                  const v = src[(((b * D + d) * H + h) * W + w) * C + ch];
                  if (v > best) best = v; // as tfjs's cpu pool3d compares
                }
              }
            }
            dst[o] = best;
          }
        }
      }
    }
  }
  return out;
}

/** Zeros of `shape` (empty when it has no entries) as the kernel's output, on either backend. */
function zerosOutput(backendName: string, backend: Backend, shape: number[], dtype: tf.DataType): tf.TensorInfo {
  return filledOutput(backendName, backend, shape, dtype, 0);
}

/** A new output of `shape` holding `value` everywhere (bool and int32 as int32 on cpu and webgpu). */
function filledOutput(
  backendName: string,
  backend: Backend,
  shape: number[],
  dtype: tf.DataType,
  value: number,
): tf.TensorInfo {
  if (backendName !== "wasm") {
    const values = dtype === "float32" ? new Float32Array(numel(shape)) : new Int32Array(numel(shape));
    return backend.makeTensorInfo(shape, dtype, values.fill(value));
  }
  const out = backend.makeOutput(shape, dtype); // fresh heap memory: filled here
  (backend.typedArrayFromHeap(out) as Float32Array).fill(value);
  return out;
}

/** PadV2 of rank ≥ `from` as rank-3 pads, one padded axis at a time. */
function padByAxis(from: number, backendName: string): (original: tf.KernelFunc) => tf.KernelFunc {
  return (original) => (args) => {
    const { inputs, attrs, backend } = args as unknown as { inputs: Inputs; attrs: Attrs; backend: Backend };
    const x = inputs.x;
    if (x.shape.length < from) return original(args);
    const paddings = attrs.paddings as [number, number][];
    const reshape = tf.getKernel("Reshape", backendName)!.kernelFunc;
    const view = (t: tf.TensorInfo, shape: number[]) =>
      reshape(
        { inputs: { x: t }, backend, attrs: { shape } } as unknown as Parameters<tf.KernelFunc>[0],
      ) as tf.TensorInfo;
    const pad = (t: tf.TensorInfo, widths: [number, number][]) =>
      original(
        { inputs: { x: t }, backend, attrs: { ...attrs, paddings: widths } } as unknown as Parameters<
          tf.KernelFunc
        >[0],
      ) as tf.TensorInfo;
    const shape = [...x.shape];
    let cur: tf.TensorInfo | null = null; // the latest padded result, ours to free
    paddings.forEach(([lo, hi], i) => {
      if (!lo && !hi) return;
      const v = view(cur ?? x, [numel(shape.slice(0, i)), shape[i], numel(shape.slice(i + 1))]);
      const next = pad(v, [[0, 0], [lo, hi], [0, 0]]);
      backend.disposeData(v.dataId);
      if (cur) backend.disposeData(cur.dataId);
      cur = next;
      shape[i] += lo + hi;
    });
    if (!cur) {
      // Nothing to pad: a copy, through a flat view.
      const v = view(x, [numel(shape)]);
      cur = pad(v, [[0, 0]]);
      backend.disposeData(v.dataId);
    }
    const out = view(cur, shape);
    backend.disposeData((cur as tf.TensorInfo).dataId);
    return out;
  };
}

/**
 * Convolutions of an empty operand return their output without running: empty, or zeros (a sum
 * over no input channels).
 */
function emptyConv(name: string, depthwise: boolean, backendName: string): void {
  replace(name, (original) => (args) => {
    const { inputs, attrs, backend } = args as unknown as { inputs: Inputs; attrs: Attrs; backend: Backend };
    const x = inputs.x, filter = inputs.filter;
    if (numel(x.shape) > 0 && numel(filter.shape) > 0) return original(args);
    const format = attrs.dataFormat === "NCHW" ? "channelsFirst" : "channelsLast";
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      attrs.strides as number | [number, number],
      (attrs.dilations ?? 1) as number | [number, number],
      attrs.pad as "same",
      attrs.dimRoundingMode as "floor" | undefined,
      depthwise,
      format,
    );
    return zerosOutput(backendName, backend, info.outShape, x.dtype);
  }, backendName);
}

/** Select of rank ≥ 5 on flat views of its same-shaped operands (webgpu). */
function flatSelect(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { inputs, backend } = args as unknown as { inputs: Inputs; backend: Backend };
    const { condition, t, e } = inputs;
    const same = (a: tf.TensorInfo) => a.shape.length === t.shape.length && a.shape.every((s, i) => s === t.shape[i]);
    if (t.shape.length < 5 || !same(condition) || !same(e)) return original(args);
    const reshape = tf.getKernel("Reshape", "webgpu")!.kernelFunc;
    const view = (x: tf.TensorInfo, shape: number[]) =>
      reshape({ inputs: { x }, backend, attrs: { shape } } as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
    const flat = [condition, t, e].map((x) => view(x, [numel(x.shape)]));
    const r = original(
      { ...args, inputs: { condition: flat[0], t: flat[1], e: flat[2] } } as unknown as Parameters<tf.KernelFunc>[0],
    ) as tf.TensorInfo;
    flat.forEach((x) => backend.disposeData(x.dataId));
    const out = view(r, t.shape);
    backend.disposeData(r.dataId);
    return out;
  };
}

/** A view of `t` with another shape, through the backend's Reshape kernel (shares t's data). */
function viewOn(backendName: string, backend: Backend, t: tf.TensorInfo, shape: number[]): tf.TensorInfo {
  const reshape = tf.getKernel("Reshape", backendName)!.kernelFunc;
  return reshape(
    { inputs: { x: t }, backend, attrs: { shape } } as unknown as Parameters<tf.KernelFunc>[0],
  ) as tf.TensorInfo;
}

/** `t` (shaped `from`, its size-1 axes broadcasting) written out in full as `to`, on the host (wasm). */
function broadcastOnHost(backend: Backend, t: tf.TensorInfo, from: number[], to: number[]): tf.TensorInfo {
  const src = backend.typedArrayFromHeap(t) as Float32Array;
  const out = backend.makeOutput([numel(to)], t.dtype);
  const dst = backend.typedArrayFromHeap(out) as Float32Array;
  const strides = from.map((_, i) => (from[i] === 1 ? 0 : numel(from.slice(i + 1))));
  const index = to.map(() => 0);
  for (let o = 0; o < dst.length; o++) {
    let at = 0;
    for (let i = 0; i < to.length; i++) at += index[i] * strides[i];
    dst[o] = src[at];
    for (let i = to.length - 1; i >= 0 && ++index[i] === to[i]; i--) index[i] = 0;
  }
  return out;
}

/** A typed array of a backend's tensor (wasm's heap, cpu's values). */
export type HeapArray = Float32Array | Int32Array | Uint8Array;

/**
 * Copies the box of `src` (shaped `shape`) from `begin`, `size` entries along each axis, every
 * `step`-th (default 1; may be negative), into `dst` — in runs: the last axis when its step is
 * 1, joined by the axes before it while the inner ones are taken whole.
 */
function copyBox(
  src: HeapArray,
  shape: number[],
  begin: number[],
  size: number[],
  dst: HeapArray,
  step: number[] = shape.map(() => 1),
): void {
  const rank = shape.length;
  if (rank === 0) return void (dst[0] = src[0]);
  const strides = shape.map((_, i) => numel(shape.slice(i + 1)));
  let k = rank - 1;
  while (k > 0 && step[k] === 1 && size[k] === shape[k] && step[k - 1] === 1) k--;
  const contiguous = step[k] === 1;
  if (!contiguous) k = rank; // every axis by index, one entry at a time
  const run = contiguous ? size[k] * strides[k] : 1;
  const index = new Array(k).fill(0);
  const start = begin.reduce((a, b, i) => a + (i <= k ? b * strides[i] : 0), 0);
  for (let o = 0; o < dst.length; o += run) {
    let at = start;
    for (let i = 0; i < k; i++) at += index[i] * step[i] * strides[i];
    if (run >= 64) dst.set(src.subarray(at, at + run), o);
    else for (let t = 0; t < run; t++) dst[o + t] = src[at + t];
    for (let i = k - 1; i >= 0 && ++index[i] === size[i]; i--) index[i] = 0;
  }
}

/**
 * The same transpose on fewer axes: size-1 axes dropped, and input axes that stay adjacent and
 * in order in the output merged.
 */
export function coalescePermutation(shape: number[], perm: number[]): { shape: number[]; perm: number[] } {
  const kept = shape.flatMap((d, i) => (d === 1 ? [] : [i]));
  const p = perm.filter((a) => shape[a] !== 1).map((a) => kept.indexOf(a));
  // Runs of output positions reading consecutive input axes.
  const runs: number[][] = [];
  for (const a of p) {
    const last = runs[runs.length - 1];
    if (last && last[last.length - 1] + 1 === a) last.push(a);
    else runs.push([a]);
  }
  const byInput = [...runs].sort((r, q) => r[0] - q[0]);
  return {
    shape: byInput.map((r) => numel(r.map((a) => shape[kept[a]]))),
    perm: runs.map((r) => byInput.indexOf(r)),
  };
}

/**
 * Writes `src` (shaped `shape`) transposed by `perm` into `dst`: rows of the output's last axis,
 * each read with that axis's input stride (contiguous when the last axis stays last).
 */
export function transposeInto(src: HeapArray, shape: number[], perm: number[], dst: HeapArray): void {
  const rank = shape.length;
  if (rank <= 1 || perm.every((a, i) => a === i)) return void dst.set(src.subarray(0, dst.length));
  // A (batched) matrix transpose: in tiles, so that both sides stay in cache.
  if (rank === 2 && perm[0] === 1) return matrixTranspose(src, 1, shape[0], shape[1], dst);
  if (rank === 3 && perm[0] === 0 && perm[1] === 2) return matrixTranspose(src, shape[0], shape[1], shape[2], dst);
  const inStrides = shape.map((_, i) => numel(shape.slice(i + 1)));
  const outShape = perm.map((a) => shape[a]);
  const step = perm.map((a) => inStrides[a]);
  const last = rank - 1, n = outShape[last], s = step[last];
  const index = new Array(last).fill(0);
  for (let o = 0; o < dst.length; o += n) {
    let at = 0;
    for (let i = 0; i < last; i++) at += index[i] * step[i];
    if (s === 1 && n >= 64) dst.set(src.subarray(at, at + n), o);
    else for (let k = 0; k < n; k++) dst[o + k] = src[at + k * s];
    for (let i = last - 1; i >= 0 && ++index[i] === outShape[i]; i--) index[i] = 0;
  }
}

/**
 * `batch` matrices [rows, cols] transposed, in 32 × 32 tiles: a row-by-row copy of a
 * [16, 262144] matrix read 16 streams a megabyte apart and ran slower than tfjs-wasm's kernel.
 */
function matrixTranspose(src: HeapArray, batch: number, rows: number, cols: number, dst: HeapArray): void {
  const T = 32, size = rows * cols;
  for (let b = 0; b < batch; b++) {
    const o = b * size;
    for (let i0 = 0; i0 < rows; i0 += T) {
      const i1 = Math.min(rows, i0 + T);
      for (let j0 = 0; j0 < cols; j0 += T) {
        const j1 = Math.min(cols, j0 + T);
        for (let j = j0; j < j1; j++) {
          for (let i = i0; i < i1; i++) dst[o + j * rows + i] = src[o + i * cols + j];
        }
      }
    }
  }
}

/** wasm's slice of a numeric tensor, read in place (the output is made first: growing the heap moves views). */
function sliceOnHeap(
  backend: Backend,
  x: tf.TensorInfo,
  begin: number[],
  size: number[],
  step?: number[],
): tf.TensorInfo {
  const out = backend.makeOutput(size, x.dtype);
  if (numel(size) === 0) return out;
  copyBox(backend.typedArrayFromHeap(x), x.shape, begin, size, backend.typedArrayFromHeap(out), step);
  return out;
}

/** The wasm kernels that slice, without reading the whole input through `readSync`. */
function replaceWasmSlicing(): void {
  const numeric = (t: tf.TensorInfo) => t.dtype !== "string";
  replace("Slice", (original) => (args) => {
    const { inputs, attrs, backend } = args as unknown as { inputs: Inputs; attrs: Attrs; backend: Backend };
    if (!numeric(inputs.x)) return original(args);
    const [begin, size] = tf.slice_util.parseSliceParams(
      inputs.x as tf.Tensor,
      attrs.begin as number[],
      attrs.size as number[],
    );
    return sliceOnHeap(backend, inputs.x, begin, size);
  });
  replace("Unpack", (original) => (args) => {
    const { inputs, attrs, backend } = args as unknown as { inputs: Inputs; attrs: Attrs; backend: Backend };
    const x = inputs.value;
    if (!numeric(x)) return original(args);
    const axis = tf.util.parseAxisParam(attrs.axis as number, x.shape)[0];
    const size = x.shape.map((d, i) => (i === axis ? 1 : d));
    const shape = x.shape.filter((_, i) => i !== axis);
    return Array.from({ length: x.shape[axis] }, (_, k) => {
      const part = sliceOnHeap(backend, x, x.shape.map((_, i) => (i === axis ? k : 0)), size);
      return { ...part, shape };
    });
  });
  replace("SplitV", (original) => (args) => {
    const { inputs, attrs, backend } = args as unknown as { inputs: Inputs; attrs: Attrs; backend: Backend };
    const x = inputs.x;
    if (!numeric(x)) return original(args);
    const axis = tf.util.parseAxisParam(attrs.axis as number, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, attrs.numOrSizeSplits as number[], axis);
    let from = 0;
    return sizes.map((n) => {
      const begin = x.shape.map((_, i) => (i === axis ? from : 0));
      from += n;
      return sliceOnHeap(backend, x, begin, x.shape.map((d, i) => (i === axis ? n : d)));
    });
  });
  replace("StridedSlice", (original) => (args) => {
    const { inputs, attrs, backend } = args as unknown as { inputs: Inputs; attrs: Attrs; backend: Backend };
    const x = inputs.x;
    if (!numeric(x)) return original(args);
    const info = stridedSliceInfo(x.shape, attrs as unknown as tf.StridedSliceAttrs);
    if (info.isIdentity) return original(args); // a reshape
    // An empty range (begin past end in the step's direction) counts negative: no entries.
    const size = tf.slice_util.computeOutShape(info.begin, info.end, info.strides).map((d) => Math.max(0, d));
    return { ...sliceOnHeap(backend, x, info.begin, size, info.strides), shape: info.finalShape };
  });
}

/**
 * wasm's Sum of float32 entries over axes that are not all innermost, on the host: tfjs-wasm
 * transposes the input first (≈0.4 GB/s; a per-example bias cotangent spent 250 ms there), this
 * adds contiguous rows of the innermost kept axes instead. Null where tfjs's kernel is direct.
 */
function sumOnHeap(backend: Backend, x: tf.TensorInfo, axes: number[], keepDims: boolean): tf.TensorInfo | null {
  if (x.dtype !== "float32" || numel(x.shape) === 0) return null;
  const summed = new Set(axes);
  const runs: { size: number; sum: boolean }[] = [];
  x.shape.forEach((size, i) => {
    const sum = summed.has(i), last = runs[runs.length - 1];
    if (last && last.sum === sum) last.size *= size;
    else runs.push({ size, sum });
  });
  const row = runs[runs.length - 1];
  if (row.sum || runs.length < 2) return null; // innermost reduction, or none: tfjs's kernel
  const before = runs.slice(0, -1);
  // Where each leading run steps in the output: 0 for a summed run.
  const outStep = before.map((
    r,
    i,
  ) => (r.sum ? 0 : numel(before.slice(i + 1).filter((q) => !q.sum).map((q) => q.size)) * row.size));
  const outShape = x.shape.flatMap((d, i) => (summed.has(i) ? (keepDims ? [1] : []) : [d]));
  const out = backend.makeOutput(outShape, "float32");
  const src = backend.typedArrayFromHeap(x) as Float32Array, dst = backend.typedArrayFromHeap(out) as Float32Array;
  dst.fill(0);
  const index = before.map(() => 0);
  const C = row.size;
  for (let at = 0; at < src.length; at += C) {
    let o = 0;
    for (let i = 0; i < before.length; i++) o += index[i] * outStep[i];
    for (let c = 0; c < C; c++) dst[o + c] += src[at + c];
    for (let i = before.length - 1; i >= 0 && ++index[i] === before[i].size; i--) index[i] = 0;
  }
  return out;
}

/** A wasm binary kernel at any rank: on merged axes, or on host-broadcast flat operands. */
function binaryAnyRank(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { inputs, backend } = args as unknown as { inputs: Inputs; backend: Backend };
    const { a, b } = inputs;
    const shape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    if (shape.length <= MAX_RANK || numel(shape) === 0) return original(args);
    const c = coalesce(a.shape, b.shape);
    const [va, vb] = c.out.length <= MAX_RANK
      ? [viewOn("wasm", backend, a, c.a), viewOn("wasm", backend, b, c.b)]
      : [broadcastOnHost(backend, a, c.a, c.out), broadcastOnHost(backend, b, c.b, c.out)];
    const r = original(
      { ...args, inputs: { a: va, b: vb } } as unknown as Parameters<tf.KernelFunc>[0],
    ) as tf.TensorInfo;
    [va, vb].forEach((t) => backend.disposeData(t.dataId));
    const out = viewOn("wasm", backend, r, shape);
    backend.disposeData(r.dataId);
    return out;
  };
}

/** GatherV2 of an empty tensor: its (empty) output, of the shape tfjs-core gives it (wasm). */
function emptyGather(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { inputs, attrs, backend } = args as unknown as { inputs: Inputs; attrs: Attrs; backend: Backend };
    const { x, indices } = inputs;
    if (numel(x.shape) > 0) return original(args);
    const axis = tf.util.parseAxisParam(attrs.axis as number, x.shape)[0];
    const batchDims = (attrs.batchDims as number) ?? 0;
    const shape = [...x.shape.slice(0, axis), ...indices.shape.slice(batchDims), ...x.shape.slice(axis + 1)];
    return backend.makeOutput(shape, x.dtype);
  };
}

/** A webgpu elementwise kernel of one operand above rank 6 on a flat view ("GPU for rank 7"). */
function unaryFlat(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { inputs, backend } = args as unknown as { inputs: Inputs; backend: Backend };
    const x = inputs.x;
    if (x.shape.length <= MAX_RANK) return original(args);
    const flat = viewOn("webgpu", backend, x, [numel(x.shape)]);
    const r = original({ ...args, inputs: { ...inputs, x: flat } } as unknown as Parameters<tf.KernelFunc>[0]);
    backend.disposeData(flat.dataId);
    const out = viewOn("webgpu", backend, r as tf.TensorInfo, x.shape);
    backend.disposeData((r as tf.TensorInfo).dataId);
    return out;
  };
}

/** A webgpu binary kernel above rank 6 on operands whose axes merge to at most 6. */
function binaryMerged(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { inputs, backend } = args as unknown as { inputs: Inputs; backend: Backend };
    const { a, b } = inputs;
    const shape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    if (shape.length <= MAX_RANK || numel(shape) === 0) return original(args);
    const c = coalesce(a.shape, b.shape);
    if (c.out.length > MAX_RANK) return original(args); // tfjs-webgpu's own error: GpuError for f's own op
    const [va, vb] = [viewOn("webgpu", backend, a, c.a), viewOn("webgpu", backend, b, c.b)];
    const r = original(
      { ...args, inputs: { a: va, b: vb } } as unknown as Parameters<tf.KernelFunc>[0],
    ) as tf.TensorInfo;
    [va, vb].forEach((t) => backend.disposeData(t.dataId));
    const out = viewOn("webgpu", backend, r, shape);
    backend.disposeData(r.dataId);
    return out;
  };
}

/**
 * BatchMatMul with an empty operand: zeros (a sum over an empty inner axis) or an empty output,
 * without running (webgpu returned stale buffer contents, and an empty batch freed an operand's buffer).
 */
function emptyMatMul(original: tf.KernelFunc, backendName: string): tf.KernelFunc {
  return (args) => {
    const { inputs, attrs, backend } = args as unknown as { inputs: Inputs; attrs: Attrs; backend: Backend };
    const { a, b } = inputs;
    if (numel(a.shape) > 0 && numel(b.shape) > 0) return original(args);
    const m = attrs.transposeA ? a.shape[a.shape.length - 1] : a.shape[a.shape.length - 2];
    const n = attrs.transposeB ? b.shape[b.shape.length - 2] : b.shape[b.shape.length - 1];
    const batch = tf.backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
    return zerosOutput(backendName, backend, [...batch, m, n], a.dtype);
  };
}

/** Conv2D/3D backprop-input with an empty operand: zeros of the input's shape, without running. */
function emptyBackpropInput(original: tf.KernelFunc, backendName: string): tf.KernelFunc {
  return (args) => {
    const { inputs, attrs, backend } = args as unknown as { inputs: Inputs; attrs: Attrs; backend: Backend };
    const { dy, filter } = inputs;
    if (numel(dy.shape) > 0 && numel(filter.shape) > 0) return original(args);
    return zerosOutput(backendName, backend, attrs.inputShape as number[], dy.dtype);
  };
}

/** What a reduction over no entries gives (neutral element; the mean of nothing is NaN). */
const EMPTY_REDUCTION: Record<string, number> = {
  Sum: 0,
  Mean: NaN,
  Prod: 1,
  Max: -Infinity,
  Min: Infinity,
  All: 1,
  Any: 0,
};

/** A reduction of an empty tensor without running (webgpu: NaN sizes, or a dispatch over nothing). */
function emptyReduction(name: string, backendName: string): (original: tf.KernelFunc) => tf.KernelFunc {
  return (original) => (args) => {
    const { inputs, attrs, backend } = args as unknown as { inputs: Inputs; attrs: Attrs; backend: Backend };
    const x = inputs.x;
    if (numel(x.shape) > 0) return original(args);
    const axes = tf.util.parseAxisParam((attrs.axis ?? attrs.reductionIndices) as number | number[], x.shape); // Max, Min: reductionIndices
    const shape = x.shape.flatMap((n, i) => (axes.includes(i) ? (attrs.keepDims ? [1] : []) : [n]));
    const dtype = name === "All" || name === "Any" ? "bool" : name === "Mean" ? "float32" : x.dtype;
    return filledOutput(backendName, backend, shape, dtype, EMPTY_REDUCTION[name]);
  };
}

/** Kernels whose output has no entries, returned without running (webgpu fails on some). */
function emptyOutput(outShape: (args: { inputs: Inputs; attrs: Attrs }) => number[]) {
  return (original: tf.KernelFunc): tf.KernelFunc => (args) => {
    const { backend } = args as unknown as { backend: Backend };
    const shape = outShape(args as unknown as { inputs: Inputs; attrs: Attrs });
    if (numel(shape) > 0) return original(args);
    const x = Object.values((args as unknown as { inputs: Inputs }).inputs)[0];
    return backend.makeTensorInfo(shape, x.dtype, x.dtype === "float32" ? new Float32Array(0) : new Int32Array(0));
  };
}

/** tfjs-webgpu's elementwise kernels of one operand `x` (attrs never depend on its shape). */
export const WEBGPU_UNARY_KERNELS = [
  "Abs",
  "Acos",
  "Acosh",
  "Asin",
  "Asinh",
  "Atan",
  "Atanh",
  "Cast",
  "Ceil",
  "ClipByValue",
  "Cos",
  "Cosh",
  "Elu",
  "Erf",
  "Exp",
  "Expm1",
  "Floor",
  "IsFinite",
  "IsInf",
  "IsNan",
  "LeakyRelu",
  "Log",
  "Log1p",
  "LogicalNot",
  "Neg",
  "Reciprocal",
  "Relu",
  "Relu6",
  "Round",
  "Rsqrt",
  "Selu",
  "Sigmoid",
  "Sign",
  "Sin",
  "Sinh",
  "Softplus",
  "Sqrt",
  "Square",
  "Step",
  "Tan",
  "Tanh",
];

/** tfjs-webgpu's binary kernels of operands `a` and `b`. */
export const WEBGPU_BINARY_KERNELS = [
  "Add",
  "Atan2",
  "Equal",
  "FloorDiv",
  "Greater",
  "GreaterEqual",
  "Less",
  "LessEqual",
  "LogicalAnd",
  "LogicalOr",
  "Maximum",
  "Minimum",
  "Mod",
  "Multiply",
  "NotEqual",
  "Pow",
  "RealDiv",
  "SquaredDifference",
  "Sub",
];

/** tfjs-wasm's binary kernels (tfjs-backend-wasm's createBinaryKernelConfig list). */
export const WASM_BINARY_KERNELS = [
  "Add",
  "Atan2",
  "BitwiseAnd",
  "Equal",
  "FloorDiv",
  "Greater",
  "GreaterEqual",
  "Less",
  "LessEqual",
  "LogicalAnd",
  "LogicalOr",
  "LogicalXor",
  "Maximum",
  "Minimum",
  "Mod",
  "Multiply",
  "NotEqual",
  "Pow",
  "RealDiv",
  "SquaredDifference",
  "Sub",
];

for (const name of WASM_BINARY_KERNELS) replace(name, binaryAnyRank);
replace("GatherV2", emptyGather);
replaceWasmSlicing();
// tfjs-wasm's Transpose moves 0.04–0.4 GB/s; rows on the host move 2.7–5 GB/s (0.4 for a plain
// 2-D transpose of a large matrix, where both are cache-bound).
replace("Transpose", (original) => (args) => {
  const { inputs, attrs, backend } = args as unknown as { inputs: Inputs; attrs: Attrs; backend: Backend };
  const x = inputs.x;
  if (x.dtype === "string") return original(args);
  const perm = attrs.perm as number[];
  const out = backend.makeOutput(perm.map((a) => x.shape[a]), x.dtype);
  if (numel(x.shape) === 0) return out;
  const c = coalescePermutation(x.shape, perm);
  transposeInto(backend.typedArrayFromHeap(x), c.shape, c.perm, backend.typedArrayFromHeap(out));
  return out;
});
replace("Sum", (original) => (args) => {
  const { inputs, attrs, backend } = args as unknown as { inputs: Inputs; attrs: Attrs; backend: Backend };
  const axes = tf.util.parseAxisParam(attrs.axis as number | number[], inputs.x.shape);
  return sumOnHeap(backend, inputs.x, axes, attrs.keepDims as boolean) ?? original(args);
});
for (const name of WEBGPU_UNARY_KERNELS) replace(name, unaryFlat, "webgpu");
for (const name of WEBGPU_BINARY_KERNELS) replace(name, binaryMerged, "webgpu");
for (const backendName of ["cpu", "wasm", "webgpu"]) {
  for (const name of Object.keys(EMPTY_REDUCTION)) replace(name, emptyReduction(name, backendName), backendName);
}
replace("Softmax", emptyOutput(({ inputs }) => inputs.logits.shape), "webgpu");
replace(
  "Slice",
  emptyOutput(({ inputs, attrs }) =>
    tf.slice_util.parseSliceParams(inputs.x as tf.Tensor, attrs.begin as number[], attrs.size as number[])[1]
  ),
  "webgpu",
);
replace("SplitV", (original) => (args) => {
  const { inputs, attrs, backend } = args as unknown as { inputs: Inputs; attrs: Attrs; backend: Backend };
  const x = inputs.x;
  if (numel(x.shape) > 0) return original(args);
  const axis = tf.util.parseAxisParam(attrs.axis as number, x.shape)[0];
  const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, attrs.numOrSizeSplits as number[], axis);
  return sizes.map((n) => {
    const shape = x.shape.map((d, i) => (i === axis ? n : d));
    return backend.makeTensorInfo(shape, x.dtype, x.dtype === "float32" ? new Float32Array(0) : new Int32Array(0));
  });
}, "webgpu");
for (const backendName of ["webgpu", "wasm"]) {
  replace("BatchMatMul", (original) => emptyMatMul(original, backendName), backendName);
  replace("Conv2DBackpropInput", (original) => emptyBackpropInput(original, backendName), backendName);
  replace("Conv3DBackpropInputV2", (original) => emptyBackpropInput(original, backendName), backendName);
}
replace("PadV2", padByAxis(5, "webgpu"), "webgpu");
replace("PadV2", padByAxis(MAX_RANK + 1, "wasm"));
replace("Select", flatSelect, "webgpu");
for (const backendName of ["webgpu", "wasm"]) {
  emptyConv("Conv2D", false, backendName);
  emptyConv("DepthwiseConv2dNative", true, backendName);
  emptyConv("FusedConv2D", false, backendName);
  emptyConv("FusedDepthwiseConv2D", true, backendName);
}
explicitSame("Conv2D", false);
explicitSame("DepthwiseConv2dNative", true);
explicitSame("FusedConv2D", false);
explicitSame("FusedDepthwiseConv2D", true);
replace("MaxPool3D", () => maxPool3d as unknown as tf.KernelFunc);
