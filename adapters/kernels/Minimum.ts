// Minimum(a, b): dy = [a ≤ b]·da + [a > b]·db (tfjs: a wins ties).
import * as tf from "@tensorflow/tfjs";
import { binary, mask } from "./_families.ts";
export const Minimum = binary((a, b) => [mask(tf.lessEqual(a, b)), mask(tf.greater(a, b))]);
