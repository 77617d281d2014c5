// Maximum(a, b): dy = [a ≥ b]·da + [a < b]·db (tfjs: a wins ties).
import * as tf from "@tensorflow/tfjs";
import { binary, mask } from "./_families.ts";
export const Maximum = binary((a, b) => [mask(tf.greaterEqual(a, b)), mask(tf.less(a, b))]);
