// Sin: dy = cos(x) · dx.
import * as tf from "@tensorflow/tfjs";
import { unary } from "./_families.ts";
export const Sin = unary((x) => tf.cos(x));
