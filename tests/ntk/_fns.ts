/**
 * Model functions as module exports, for workers (which load `f` from a module).
 * @module
 */
import { batchStats, mlp, paperFcn } from "./_models.ts";

/** The paper's 10-layer ReLU FCN; any width and output size (they come from the params). */
export const fcn = paperFcn(1, 1).f;
export const tanhMlp = mlp("tanh").f;
/** Mixes examples (batch statistics): cannot be split into blocks. */
export const batchStatsFn = batchStats().f;
export const notAFunction = 3;

const inWorker = "WorkerGlobalScope" in globalThis;
/** Works in the main thread, throws in a worker: to test that a worker's error comes back. */
export const failsInWorkers: typeof tanhMlp = (p, x) => {
  if (inWorker) throw new RangeError("deliberate failure inside a worker");
  return tanhMlp(p, x);
};
