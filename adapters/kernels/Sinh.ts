// Sinh: dy = cosh(x) · dx.
import * as tf from "@tensorflow/tfjs";
import { unary } from "./_families.ts";
export const Sinh = unary((x) => tf.cosh(x));
