// Mod(a, b) = a − floor(a / b)·b: dy = da − floor(a / b)·db (tfjs's convention).
// (This file is not Mod.ts: that name clashes with mod.ts in tsc and on case-insensitive disks.)
import * as tf from "@tensorflow/tfjs";
import { binary } from "./_families.ts";
export const Mod = binary((a, b) => ["one", tf.neg(tf.floor(tf.div(a, b)))]);
