// RealDiv(a, b) = a / b: dy = da / b − (y / b)·db.
import * as tf from "@tensorflow/tfjs";
import { binary } from "./_families.ts";
export const RealDiv = binary((_a, b, y) => [tf.div(1, b), tf.neg(tf.div(y, b))]);
