/**
 * The "native" tfjs backend: tfjs-backend-cpu's (plain Float32Array tensors, its kernels and
 * fast-ntk's fixes of them), with the heavy kernels — matrix products, convolutions and their
 * gradients, transposes — done by the system BLAS through Deno's FFI on every core. Registered
 * on import; it initializes only where {@link nativeAvailable} (ffi granted, a BLAS found).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import { coalescePermutation, transposeInto } from "../tfjs_fixes.ts";
import { numel } from "../axes.ts";
import { type Blas, openBlas } from "./blas.ts";
import { batchMatMul, biasAndActivation, type KernelArgs } from "./matmul.ts";
import { conv2d, conv2dBackpropFilter, conv2dBackpropInput, conv3d } from "./conv.ts";

/** The backend's name in tfjs. */
export const NATIVE = "native";

/** Whether the native backend can initialize: the ffi permission is granted and a BLAS opens. */
export function nativeAvailable(): boolean {
  return openBlas() !== null;
}

/** A host transpose of the values (tfjs-backend-cpu's goes entry by entry through index arithmetic). */
function transpose(_blas: Blas, args: KernelArgs): tf.TensorInfo | null {
  const { inputs, attrs, backend } = args;
  const x = inputs.x!;
  if (x.dtype === "string" || x.dtype === "complex64") return null;
  const values = backend.data.get(x.dataId).values;
  const perm = attrs.perm as number[];
  const shape = perm.map((a) => x.shape[a]);
  const out = new (values.constructor as Float32ArrayConstructor)(numel(shape));
  if (out.length > 0) {
    const c = coalescePermutation(x.shape, perm);
    transposeInto(values, c.shape, c.perm, out);
  }
  return backend.makeTensorInfo(shape, x.dtype, out);
}

/** The kernels done here; each returns null to hand a call (another dtype, NCHW) to the cpu kernel. */
const OVERRIDES: Record<string, (blas: Blas, args: KernelArgs) => tf.TensorInfo | null> = {
  BatchMatMul: batchMatMul,
  _FusedMatMul: (blas, args) => {
    const y = batchMatMul(blas, args);
    return y && biasAndActivation(args, y);
  },
  Conv2D: (blas, args) => conv2d(blas, args, false),
  FusedConv2D: (blas, args) => conv2d(blas, args, true),
  Conv2DBackpropInput: conv2dBackpropInput,
  Conv2DBackpropFilter: conv2dBackpropFilter,
  Conv3D: (blas, args) => conv3d(blas, args, "forward"),
  Conv3DBackpropInputV2: (blas, args) => conv3d(blas, args, "input"),
  Conv3DBackpropFilterV2: (blas, args) => conv3d(blas, args, "filter"),
  Transpose: transpose,
};

/** The kernels the native backend does itself rather than through tfjs-backend-cpu's. */
export const NATIVE_KERNELS: readonly string[] = Object.keys(OVERRIDES);

/** tfjs-backend-cpu's backend under another name, so that its kernels and ours are told apart. */
class NativeBackend extends MathBackendCPU {}

function register(): void {
  if (tf.findBackendFactory(NATIVE)) return;
  tf.registerBackend(NATIVE, () => {
    if (!openBlas()) throw new Error("The native backend needs --allow-ffi and a system BLAS (libopenblas)");
    return new NativeBackend();
  }, -1); // last in tfjs's own order: fast-ntk picks it only where it is available
  // Every cpu kernel (fast-ntk's fixes of them included: tfjs_fixes is imported above) as is.
  for (const config of tf.getKernelsForBackend("cpu")) {
    const override = OVERRIDES[config.kernelName];
    const kernelFunc: tf.KernelFunc = override
      ? (args) => override(openBlas()!, args as unknown as KernelArgs) ?? config.kernelFunc(args)
      : config.kernelFunc;
    tf.registerKernel({ ...config, backendName: NATIVE, kernelFunc });
  }
}

register();
