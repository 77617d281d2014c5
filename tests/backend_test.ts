// Backend selection: the fastest backend present, overridable by option and environment.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { detectBackend, initBackend, InvalidOptionError } from "../mod.ts";
import { NATIVE_BY_DEFAULT, probeGpu } from "../src/core/backend.ts";
import { nativeAvailable } from "../src/core/native/backend.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name:
    "detectBackend() picks webgpu only on a real (non-fallback) GPU adapter, else native where a BLAS opens, else wasm",
  ...opts,
  fn: async () => {
    const gpu = await probeGpu();
    const cpuDefault = NATIVE_BY_DEFAULT && nativeAvailable() ? "native" : "wasm";
    const expected = gpu.adapter && !gpu.fallback ? "webgpu" : cpuDefault;
    assert.equal(await detectBackend(), expected);
    if (Deno.env.get("CI") || !gpu.adapter || gpu.fallback) {
      // No GPU here (CI, or a software adapter such as llvmpipe): native with a BLAS (CI installs one), else wasm.
      assert.equal(await detectBackend(), cpuDefault);
    }
    // CI installs libopenblas0-pthread: there the oracle tests must run on native too.
    if (Deno.env.get("CI")) assert.ok(nativeAvailable(), "CI has a system BLAS for the native backend");
  },
});

Deno.test({
  name: "initBackend() honours the option, then FAST_NTK_BACKEND",
  ...opts,
  fn: async () => {
    assert.equal(await initBackend("cpu"), "cpu");
    assert.equal(tf.getBackend(), "cpu");
    const prev = Deno.env.get("FAST_NTK_BACKEND");
    Deno.env.set("FAST_NTK_BACKEND", "cpu");
    try {
      assert.equal(await initBackend(), "cpu");
      assert.equal(await initBackend("wasm"), "wasm");
    } finally {
      if (prev === undefined) Deno.env.delete("FAST_NTK_BACKEND");
      else Deno.env.set("FAST_NTK_BACKEND", prev);
    }
    Deno.env.delete("FAST_NTK_BACKEND");
    assert.equal(await initBackend(), await detectBackend());
    if (prev !== undefined) Deno.env.set("FAST_NTK_BACKEND", prev);
  },
});

Deno.test({
  name: "initBackend() rejects an unknown backend name",
  ...opts,
  fn: async () => {
    await assert.rejects(() => initBackend("tpu" as never), InvalidOptionError);
  },
});
