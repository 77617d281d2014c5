// Erf: dy = (2/√π) · exp(−x²) · dx.
import * as tf from "@tensorflow/tfjs";
import { unary } from "./_families.ts";
export const Erf = unary((x) => tf.mul(tf.exp(tf.neg(tf.square(x))), 2 / Math.sqrt(Math.PI)));
