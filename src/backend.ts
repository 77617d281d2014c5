/**
 * Backend selection: the fastest backend present — WebGPU on a real (non-fallback) GPU adapter,
 * else WASM, else CPU. The option, or the FAST_NTK_BACKEND environment variable, overrides it.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import "@tensorflow/tfjs-backend-webgpu";
import "./tfjs_fixes.ts";
import { InvalidOptionError } from "./errors.ts";

export type BackendName = "webgpu" | "wasm" | "cpu";
export const BACKENDS: readonly BackendName[] = ["webgpu", "wasm", "cpu"];

// tfjs believes Deno is Node and prints a banner about tfjs-node on first use.
tf.enableProdMode();
{
  const entry = import.meta.resolve("@tensorflow/tfjs-backend-wasm");
  setWasmPaths(entry.slice(0, entry.lastIndexOf("/") + 1));
}

/** What the machine offers: a GPU adapter, and whether it is a software fallback. */
export async function probeGpu(): Promise<{ adapter: boolean; fallback: boolean; description: string }> {
  // deno-lint-ignore no-explicit-any
  const gpu = (globalThis.navigator as any)?.gpu;
  // Mesa's loaders print "XDG_RUNTIME_DIR is invalid" on every adapter request when it is unset.
  try {
    if (!Deno.env.get("XDG_RUNTIME_DIR")) Deno.env.set("XDG_RUNTIME_DIR", Deno.build.os === "windows" ? "." : "/tmp");
  } catch { /* no env permission: only the warning remains */ }
  if (!gpu) return { adapter: false, fallback: true, description: "none" };
  try {
    const a = await gpu.requestAdapter();
    if (!a) return { adapter: false, fallback: true, description: "none" };
    return { adapter: true, fallback: Boolean(a.info?.isFallbackAdapter), description: a.info?.description ?? "" };
  } catch {
    return { adapter: false, fallback: true, description: "none" };
  }
}

/** The backend that `auto` resolves to on this machine. */
export async function detectBackend(): Promise<BackendName> {
  const gpu = await probeGpu();
  if (gpu.adapter && !gpu.fallback) return "webgpu";
  return "wasm";
}

function requested(option?: string): string | undefined {
  if (option && option !== "auto") return option;
  try {
    const env = Deno.env.get("FAST_NTK_BACKEND");
    if (env && env !== "auto") return env;
  } catch { /* no env permission */ }
  return undefined;
}

/**
 * Sets the tfjs backend: `backend` if given, else FAST_NTK_BACKEND, else the fastest present.
 * Falls back along webgpu → wasm → cpu when one fails to initialize (unless asked for by name).
 * @returns the backend in use
 * @throws {InvalidOptionError} for a name that is not a backend
 */
export async function initBackend(backend?: BackendName | "auto"): Promise<BackendName> {
  const want = requested(backend);
  if (want !== undefined && !BACKENDS.includes(want as BackendName)) {
    throw new InvalidOptionError("backend", want, [...BACKENDS, "auto"]);
  }
  if (want) {
    if (!(await tf.setBackend(want))) throw new Error(`Cannot initialize backend "${want}"`);
    await tf.ready();
    return want as BackendName;
  }
  const first = await detectBackend();
  for (const b of BACKENDS.slice(BACKENDS.indexOf(first))) {
    if (await tf.setBackend(b)) {
      await tf.ready();
      return b;
    }
  }
  throw new Error("No tfjs backend could be initialized");
}

/**
 * Makes sure a backend is chosen before the first computation: the one asked for (option or
 * FAST_NTK_BACKEND), else the one already in use, else (none was ever set) the fastest present.
 */
export async function ensureBackend(backend?: BackendName | "auto"): Promise<BackendName> {
  const want = requested(backend);
  // deno-lint-ignore no-explicit-any
  const current = (tf.engine() as any).backendName as BackendName | null;
  if (want) return current === want ? current : await initBackend(want as BackendName);
  return current ?? (await initBackend());
}
