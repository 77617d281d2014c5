// Relu: dy = dx · [x > 0] (tfjs: Relu′(0) = 0).
import * as tf from "@tensorflow/tfjs";
import { mask, unary } from "./_families.ts";
export const Relu = unary((x) => mask(tf.greater(x, 0)));
