/**
 * The tfjs types in fast-ntk's public signatures, under names of its own (so `deno doc` shows
 * them as part of this package's API).
 * @module
 */
import type * as tf from "@tensorflow/tfjs";

/** A tfjs tensor (`tf.Tensor` of `@tensorflow/tfjs`). */
export type Tensor = tf.Tensor;
/** A tfjs-layers model (`tf.LayersModel` of `@tensorflow/tfjs`). */
export type LayersModel = tf.LayersModel;
