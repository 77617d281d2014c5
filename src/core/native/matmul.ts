/**
 * MatMul kernels of the native backend: tfjs-backend-cpu's tensors are plain Float32Arrays, so
 * each matrix of a batch goes to the BLAS's sgemm in place, without a copy.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Blas } from "./blas.ts";
import { numel } from "../axes.ts";

type Attrs = Record<string, unknown>;
type Inputs = Record<string, tf.TensorInfo | undefined>;
/** tfjs-backend-cpu's MathBackendCPU, as far as the kernels use it. */
// deno-lint-ignore no-explicit-any
export type CpuBackend = any;
/** A kernel's arguments, as tfjs passes them. */
export interface KernelArgs {
  inputs: Inputs;
  attrs: Attrs;
  backend: CpuBackend;
}

/** The float32 entries of a tensor of the cpu backend, or null for another dtype. */
export function floats(backend: CpuBackend, t: tf.TensorInfo): Float32Array | null {
  if (t.dtype !== "float32") return null;
  const v = backend.data.get(t.dataId)?.values;
  return v instanceof Float32Array ? v : null;
}

/**
 * a·b over broadcast batch axes (the shapes tfjs's BatchMatMul takes), into a new tensor;
 * null when an operand is not float32 (the cpu kernel handles it).
 */
export function batchMatMul(blas: Blas, args: KernelArgs): tf.TensorInfo | null {
  const { inputs, attrs, backend } = args;
  const a = inputs.a!, b = inputs.b!;
  const A = floats(backend, a), B = floats(backend, b);
  if (!A || !B) return null;
  const tA = Boolean(attrs.transposeA), tB = Boolean(attrs.transposeB);
  const ra = a.shape.length, rb = b.shape.length;
  const m = tA ? a.shape[ra - 1] : a.shape[ra - 2], k = tA ? a.shape[ra - 2] : a.shape[ra - 1];
  const n = tB ? b.shape[rb - 2] : b.shape[rb - 1];
  const kb = tB ? b.shape[rb - 1] : b.shape[rb - 2];
  if (k !== kb) return null; // tfjs-core checks this first; the cpu kernel words the error
  const batchA = a.shape.slice(0, -2), batchB = b.shape.slice(0, -2);
  const batch = tf.broadcast_util.assertAndGetBroadcastShape(batchA, batchB);
  const out = new Float32Array(numel(batch) * m * n);
  const la = tA ? m : k, lb = tB ? k : n;
  if (numel(batchB) === 1 && !tA && numel(batch) === numel(batchA)) {
    // One matrix b: a's batch stacks into the rows of one GEMM.
    blas.sgemm(false, tB, numel(batchA) * m, n, k, 1, A, la, B, lb, 0, out, n);
  } else {
    const ia = batchIndex(batch, batchA), ib = batchIndex(batch, batchB);
    for (let i = 0; i < numel(batch); i++) {
      const sa = A.subarray(ia[i] * m * k), sb = B.subarray(ib[i] * k * n);
      blas.sgemm(tA, tB, m, n, k, 1, sa, la, sb, lb, 0, out.subarray(i * m * n), n);
    }
  }
  return backend.makeTensorInfo([...batch, m, n], "float32", out);
}

/** For each index of the broadcast shape `batch`, the flat index into `own` (broadcast to it). */
function batchIndex(batch: number[], own: number[]): Int32Array {
  const total = numel(batch), index = new Int32Array(total);
  const padded = [...new Array(batch.length - own.length).fill(1), ...own];
  const strides = padded.map((_, i) => numel(padded.slice(i + 1)));
  for (let i = 0; i < total; i++) {
    let rest = i, at = 0;
    for (let d = batch.length - 1; d >= 0; d--) {
      const coord = rest % batch[d];
      rest = (rest - coord) / batch[d];
      if (padded[d] !== 1) at += coord * strides[d];
    }
    index[i] = at;
  }
  return index;
}

/** Runs the cpu backend's registered kernel `name`. */
export function cpuKernel(name: string, args: KernelArgs): tf.TensorInfo {
  return tf.getKernel(name, "cpu")!.kernelFunc(args as never) as tf.TensorInfo;
}

/** The bias and activation of a fused kernel (tfjs's fused_utils), applied to `y`, which they consume. */
export function biasAndActivation(args: KernelArgs, y: tf.TensorInfo): tf.TensorInfo {
  const { inputs, attrs, backend } = args;
  const steps: [string, Inputs, Attrs][] = [];
  if (inputs.bias) steps.push(["Add", { b: inputs.bias }, {}]);
  const activation = (attrs.activation ?? "linear") as string;
  const kernel: Record<string, [string, Inputs, Attrs]> = {
    relu: ["Relu", {}, {}],
    relu6: ["Relu6", {}, {}],
    elu: ["Elu", {}, {}],
    sigmoid: ["Sigmoid", {}, {}],
    prelu: ["Prelu", { alpha: inputs.preluActivationWeights }, {}],
    leakyrelu: ["LeakyRelu", {}, { alpha: attrs.leakyreluAlpha }],
  };
  if (activation !== "linear") {
    if (!kernel[activation]) {
      throw new Error(`Activation ${activation} has not been implemented for the native backend`);
    }
    steps.push(kernel[activation]);
  }
  let current = y;
  for (const [name, more, stepAttrs] of steps) {
    const first = name === "Add" ? "a" : "x";
    const next = cpuKernel(name, { inputs: { [first]: current, ...more }, attrs: stepAttrs, backend });
    backend.disposeIntermediateTensorInfo(current);
    current = next;
  }
  return current;
}
