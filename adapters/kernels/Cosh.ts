// Cosh: dy = sinh(x) · dx.
import * as tf from "@tensorflow/tfjs";
import { unary } from "./_families.ts";
export const Cosh = unary((x) => tf.sinh(x));
