/**
 * Backend selection: the fastest backend present — WebGPU on a real (non-fallback) GPU adapter,
 * else native (the system BLAS through FFI, where `--allow-ffi` is granted and a BLAS is found),
 * else WASM, else CPU. The option, or the FAST_NTK_BACKEND environment variable, overrides it.
 * Detection never prompts for a permission: it asks `Deno.permissions` first and goes without.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import * as tfCore from "@tensorflow/tfjs-core";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import "@tensorflow/tfjs-backend-webgpu";
import "./tfjs_fixes.ts";
import { nativeAvailable } from "./native/backend.ts";
import { InvalidOptionError, TfjsVersionError } from "./errors.ts";

/** A tfjs backend fast-ntk can run on. */
export type BackendName = "webgpu" | "native" | "wasm" | "cpu";
/** The backends fast-ntk can run on, fastest first. */
export const BACKENDS: readonly BackendName[] = ["webgpu", "native", "wasm", "cpu"];

/**
 * The version of another tfjs-core that made the process's tfjs engine (the engine is a global,
 * shared by every copy of tfjs-core; the first one loaded makes it), or null when it is ours.
 */
function otherCore(): string | null {
  // deno-lint-ignore no-explicit-any
  const engine = tf.engine() as any;
  if (engine.ENV instanceof tf.Environment) return null;
  // The other copy's version is in the path of its own code, seen in a stack trace.
  try {
    engine.removeBackend("fast-ntk: no such backend");
  } catch (e) {
    const m = String((e as Error)?.stack ?? "").match(/tfjs-core(?:@|\/)(\d[^/_\s:]*)/);
    if (m) return m[1];
  }
  return "unknown version";
}

// The tracer hooks the engine that fast-ntk's tfjs runs kernels through; a user's tfjs on another
// tfjs-core (or two copies of ours) would run kernels past it unseen.
{
  const other = otherCore();
  if (other !== null) throw new TfjsVersionError(tf.version_core, other);
  if (tf.version_core !== tfCore.version_core) throw new TfjsVersionError(tf.version_core, tfCore.version_core);
}

// tfjs believes Deno is Node and prints a banner about tfjs-node on first use.
tf.enableProdMode();
const wasmDir = (() => {
  const entry = import.meta.resolve("@tensorflow/tfjs-backend-wasm");
  return entry.slice(0, entry.lastIndexOf("/") + 1);
})();
setWasmPaths(wasmDir);
// tfjs-backend-webgpu registers itself as the highest priority, so tfjs's own choice (the first
// tf.* call, tf.ready()) would take any adapter, Mesa's software one included. Below cpu, tfjs
// falls back to wasm; webgpu is chosen only by initBackend, on a real adapter, or by name.
{
  // deno-lint-ignore no-explicit-any
  const factories = (tf.engine() as any).registryFactory as Record<string, { priority: number }> | undefined;
  if (factories?.webgpu) factories.webgpu.priority = 0;
}

/** Whether a permission is granted, without prompting (a denied or unanswerable query: no). */
function granted(descriptor: Deno.PermissionDescriptor): boolean {
  try {
    return Deno.permissions.querySync(descriptor).state === "granted";
  } catch {
    return false;
  }
}

/** Reads an environment variable only when allowed to, never prompting. */
function readEnv(name: string): string | undefined {
  if (!granted({ name: "env", variable: name })) return undefined;
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

/** What the machine offers: a GPU adapter, and whether it is a software fallback. */
export async function probeGpu(): Promise<{ adapter: boolean; fallback: boolean; description: string }> {
  // deno-lint-ignore no-explicit-any
  const gpu = (globalThis.navigator as any)?.gpu;
  // Mesa's loaders print "XDG_RUNTIME_DIR is invalid" on every adapter request when it is unset.
  if (readEnv("XDG_RUNTIME_DIR") === undefined && granted({ name: "env", variable: "XDG_RUNTIME_DIR" })) {
    try {
      Deno.env.set("XDG_RUNTIME_DIR", Deno.build.os === "windows" ? "." : "/tmp");
    } catch { /* only the warning remains */ }
  }
  if (!gpu) return { adapter: false, fallback: true, description: "none" };
  try {
    const a = await gpu.requestAdapter();
    if (!a) return { adapter: false, fallback: true, description: "none" };
    return { adapter: true, fallback: Boolean(a.info?.isFallbackAdapter), description: a.info?.description ?? "" };
  } catch {
    return { adapter: false, fallback: true, description: "none" };
  }
}

/**
 * Whether `auto` picks native where it is available. Off for now: its GEMM and convolutions are
 * fast, but tfjs-backend-cpu's Slice, StridedSlice, PadV2 and Multiply (plain JS) made the
 * CIFAR-like CNN's structured NTK 26× slower than on wasm (N=3: 11.5 s vs 0.44 s). Ask for it by name.
 */
export const NATIVE_BY_DEFAULT = false;

/**
 * The backend that `auto` resolves to on this machine: webgpu on a real GPU adapter, else native
 * when {@link NATIVE_BY_DEFAULT} and the ffi permission is granted and a system BLAS opens, else wasm.
 */
export async function detectBackend(): Promise<BackendName> {
  const gpu = await probeGpu();
  if (gpu.adapter && !gpu.fallback) return "webgpu";
  return NATIVE_BY_DEFAULT && nativeAvailable() ? "native" : "wasm";
}

function requested(option?: string): string | undefined {
  if (option && option !== "auto") return option;
  const env = readEnv("FAST_NTK_BACKEND");
  if (env && env !== "auto") return env;
  return undefined;
}

/**
 * Sets the tfjs backend and waits until it is ready: `backend` if given, else the environment
 * variable FAST_NTK_BACKEND (read only when `--allow-env` grants it; never prompts), else the
 * fastest present — WebGPU on a real GPU adapter (not a software fallback such as Mesa's
 * llvmpipe), else native (the system BLAS through FFI; only where `--allow-ffi` is granted and
 * a BLAS such as libopenblas is found, never a prompt), else WASM. Falls back along
 * webgpu → native → wasm → cpu when one fails to initialize (unless
 * asked for by name). Importing `mod.ts` already runs it, unless a backend was set before; call it
 * to switch backends (or use `tf.setBackend`). Every function also takes a `backend` option.
 *
 * @example Switch to the CPU backend
 * ```ts
 * // deno run --allow-read
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { initBackend } from "@fast-ntk/fast-ntk";
 * assert.equal(await initBackend("cpu"), "cpu");
 * assert.equal(tf.getBackend(), "cpu");
 * ```
 * @param backend a backend name, or "auto" (the default) for the environment variable or the fastest present
 * @returns the backend in use
 * @throws {InvalidOptionError} for a name that is not a backend
 */
export async function initBackend(backend?: BackendName | "auto"): Promise<BackendName> {
  const want = requested(backend);
  if (want !== undefined && !BACKENDS.includes(want as BackendName)) {
    throw new InvalidOptionError("backend", want, [...BACKENDS, "auto"]);
  }
  if (want) {
    if (want === "native" && !nativeAvailable()) {
      throw new Error(
        'Cannot initialize backend "native": it needs --allow-ffi and a system BLAS (libopenblas0-pthread)',
      );
    }
    if (!(await tf.setBackend(want))) throw new Error(`Cannot initialize backend "${want}"`);
    await tf.ready();
    return want as BackendName;
  }
  const first = await detectBackend();
  // Without read access to its .wasm file the wasm backend would fail loudly: go on to cpu quietly.
  const readable = !wasmDir.startsWith("file:") || granted({ name: "read", path: new URL(wasmDir) });
  const usable = (b: BackendName) => (b !== "wasm" || readable) && (b !== "native" || nativeAvailable());
  for (const b of BACKENDS.slice(BACKENDS.indexOf(first)).filter(usable)) {
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

/**
 * What importing `mod.ts` runs: keeps a backend the caller set before (`tf.setBackend`), else
 * initializes the default one, so that any `tf.*` call right after the import works.
 */
export async function readyOnImport(): Promise<BackendName> {
  // deno-lint-ignore no-explicit-any
  const current = (tf.engine() as any).backendName as BackendName | null;
  return current ?? (await initBackend());
}
