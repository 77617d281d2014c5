// Selu: dy = dx · (x > 0 ? scale : scale·alpha·eˣ), with tfjs's constants; Selu′(0) = scale·alpha.
import * as tf from "@tensorflow/tfjs";
import { unary } from "./_families.ts";

const SELU_SCALE = 1.0507009873554804934193349852946;
const SELU_SCALEALPHA = 1.7580993408473768599402175208123;

export const Selu = unary((x) =>
  tf.where(tf.greater(x, 0), tf.fill(x.shape, SELU_SCALE), tf.mul(tf.exp(x), SELU_SCALEALPHA))
);
