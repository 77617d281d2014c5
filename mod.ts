/**
 * fast-ntk: the finite-width Neural Tangent Kernel of TensorFlow.js functions and models, by
 * the three methods of "Fast Finite Width Neural Tangent Kernel" (Novak et al., ICML 2022).
 *
 * @example Usage
 * ```ts
 * // deno run --allow-read
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { empiricalNtkFn } from "@fast-ntk/fast-ntk";
 * const f = (p: Record<string, tf.Tensor>, x: tf.Tensor | tf.Tensor[]) =>
 *   tf.matMul(tf.tanh(tf.matMul(x as tf.Tensor, p.w1)), p.w2);
 * const params = { w1: tf.randomNormal([3, 16]), w2: tf.randomNormal([16, 4]) };
 * const ntk = empiricalNtkFn(f);
 * const k = await ntk(tf.randomNormal([5, 3]), null, params); // [5, 5], mean over the 4 outputs
 * assert.deepEqual(k.shape, [5, 5]);
 * ```
 * @module
 */
export {
  type EmpiricalNtk,
  empiricalNtkFn,
  type EmpiricalNtkOptions,
  METHOD_NAMES,
  type NtkInfo,
  type NtkMethod,
} from "./src/api/empirical_ntk.ts";
export {
  empiricalNtkParallelFn,
  type NtkSource,
  type ParallelNtk,
  type ParallelNtkInfo,
  type ParallelNtkOptions,
} from "./src/parallel/mod.ts";
export { type EmpiricalNtkVp, empiricalNtkVpFn, type EmpiricalNtkVpOptions } from "./src/toolkit/ntk_vp.ts";
export {
  type EmpiricalKernel,
  empiricalKernelFn,
  type EmpiricalNngp,
  empiricalNngpFn,
  type EmpiricalNngpOptions,
  KERNEL_NAMES,
  type KernelName,
  type Kernels,
} from "./src/toolkit/nngp.ts";
export { linearize, type LinearizedFn } from "./src/toolkit/linearize.ts";
export { taylorExpand } from "./src/toolkit/taylor.ts";
export {
  type GradientDescentMsePrediction,
  predictGradientDescentMse,
  type PredictGradientDescentMseFn,
  type PredictGradientDescentMseOptions,
} from "./src/toolkit/predict.ts";
export {
  type OutputLoss,
  predictGradientDescent,
  type PredictGradientDescentFn,
  type PredictGradientDescentOptions,
} from "./src/toolkit/predict_gd.ts";
export {
  type Gaussian,
  gpInference,
  type GpInferenceFn,
  type GpInferenceOptions,
  type GpKernels,
  type GpMode,
  type GpPredictOptions,
  gradientDescentMseEnsemble,
  type GradientDescentMseEnsembleFn,
  type GradientDescentMseEnsembleOptions,
  maxLearningRate,
} from "./src/toolkit/gp.ts";
export { batch, type BatchableKernelFn, type BatchOptions } from "./src/toolkit/batch.ts";
export {
  type MonteCarloKernel,
  monteCarloKernelFn,
  type MonteCarloKernelOptions,
  type MonteCarloKernels,
} from "./src/toolkit/monte_carlo.ts";
export { type NtkSpectrum, ntkSpectrum, type NtkSpectrumOptions } from "./src/toolkit/spectrum.ts";
export { type BackendName, BACKENDS, detectBackend, initBackend } from "./src/core/backend.ts";
import { readyOnImport } from "./src/core/backend.ts";
export { type Linearized, type ParamFn, traceLinear } from "./adapters/trace.ts";
export * from "./src/core/errors.ts";
export {
  fromLayersModel,
  type FromLayersModelOptions,
  type LayerParamTree,
  type LayersModelFn,
  type WeightInfo,
} from "./adapters/layers.ts";
export { flattenParams, type ParamTree, type TreeParamFn, unflattenParams } from "./src/core/param_tree.ts";
export type { ParamFnSpec } from "./src/core/validate.ts";
export { loadModel, ModelLoadError, saveModel } from "./adapters/io.ts";
export { NpyError, parseNpy, readNpy, toNpy, writeNpy } from "./src/core/npy.ts";
export {
  type ColormapName,
  type HeatmapOptions,
  heatmapSvg,
  type KernelHeatmapOptions,
  kernelHeatmapSvg,
} from "./src/core/plot.ts";
export {
  type LineChartOptions,
  lineChartSvg,
  type LineSeries,
  type LossCurves,
  lossCurveSvg,
  type SpectrumData,
  spectrumSvg,
} from "./src/core/plot_lines.ts";
export type { Marker } from "./src/core/plot_axes.ts";
// Types that appear in the signatures above.
export type { LayersModel, Tensor } from "./src/core/types.ts";
export type { Input } from "./src/core/validate.ts";
export type { NtkPlan } from "./src/api/empirical_ntk.ts";
export type { StructureReport } from "./src/ntk/structured.ts";
export type { Requested } from "./src/toolkit/nngp.ts";

// Importing leaves tfjs ready on the default backend (or the one set before), so the first tf.*
// call works: tfjs's own choice would take WebGPU before it is initialized.
await readyOnImport();
