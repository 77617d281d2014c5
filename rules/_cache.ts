// Per-equation memo for tensors derived from consts (patches, masks), freed with the program.
// What is kept is capped: im2col patches are the input times the window (a 3×3 depthwise layer of
// MobileNetV2 at 224×224 holds 43 MB per example), and keeping every layer's made one call of
// N = 8 exhaust wasm's 4 GiB heap. Past the cap a derived tensor is made for the one use and
// freed with the caller's tidy scope — a pass that runs once (Jacobian contraction) loses nothing.
import * as tf from "@tensorflow/tfjs";
import type { Eqn } from "../src/core/ir.ts";

let capBytes = 256 * 2 ** 20;
const kept = new Set<tf.Tensor>();

/** Sets the bytes that derived tensors may hold across all live programs (the call's budget sets it). */
export function setDerivedCacheBytes(bytes: number): void {
  capBytes = Math.max(0, bytes);
}

/** Bytes held by live derived tensors (disposed programs' are dropped from the count). */
export function derivedCacheBytes(): number {
  let held = 0;
  for (const t of kept) {
    if (t.isDisposed) kept.delete(t);
    else held += 4 * t.size;
  }
  return held;
}

export function cached(eqn: Eqn, key: string, make: () => tf.Tensor): tf.Tensor {
  const hit = eqn.cache?.get(key);
  if (hit && !hit.isDisposed) return hit;
  const t = tf.tidy(make);
  // Outside a tidy scope nothing would free an uncached tensor: keep it regardless.
  // deno-lint-ignore no-explicit-any
  const inScope = (tf.engine() as any).state?.activeScope != null;
  if (inScope && derivedCacheBytes() + 4 * t.size > capBytes) return t;
  tf.keep(t);
  kept.add(t);
  (eqn.cache ??= new Map()).set(key, t);
  return t;
}
