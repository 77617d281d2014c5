/**
 * What every NTK method receives and returns.
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { LinearProgram } from "../core/ir.ts";
import type { Layout } from "../core/layout.ts";
import type { Stats } from "./passes.ts";

export interface MethodInput {
  /** Linearization at x1. */
  p1: LinearProgram;
  /** Linearization at x2, or null when x2 is x1. */
  p2: LinearProgram | null;
  layout: Layout;
  stats: Stats;
  /** Upper bound for tensors a method builds at once, in bytes. */
  memoryBudget: number;
  /** Largest single tensor a method may build, in bytes. @default Infinity */
  maxTensorBytes?: number;
  /** Called as the method advances, with the fraction done in [0, 1]. */
  progress?: (fraction: number) => void;
  /** What the method wants `info` to report beyond the common fields. */
  report: Record<string, unknown>;
}

/** An NTK method: returns the kernel in the layout's shape. */
export type Method = (input: MethodInput) => tf.Tensor;
