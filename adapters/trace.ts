/**
 * The tracer: runs `f(params, x)` once with a hook on the tfjs engine, records every kernel
 * call at the top level (kernels nested in kernels — such as the Identity clones of gradient
 * bookkeeping — are skipped; custom-gradient frames are transparent), and linearizes each
 * kernel on the spot while its primal values are alive. The result is a `LinearProgram` from
 * the parameters' tangents to the output's tangent, with the primal values it needs as consts.
 *
 * Every call traces afresh: value-dependent consts (ReLU masks, activations) are never stale.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { LinearProgram, Operand, ParamsOf, PrimitiveName, Var } from "../src/core/ir.ts";
import { ProgramBuilder } from "../src/core/linear_program.ts";
import { DataDependentTraceError, DTypeError, UnsupportedKernelError } from "../src/core/errors.ts";
import type { Arg, KernelCtx } from "./kernels/types.ts";
import { KERNELS } from "./kernels/mod.ts";
import type { Tensor } from "../src/core/types.ts";

/** A function of parameters and input(s) built from tfjs ops. */
export type ParamFn = (params: Record<string, Tensor>, x: Tensor | Tensor[]) => Tensor | Tensor[];

/** Where the tracer currently is, for error messages: the layers adapter sets `layer` to
 * `"name" (ClassName)` while a layer runs. */
export const traceContext: { layer: string | null } = { layer: null };

const POISON = Symbol("unsupported upstream");
type Tangent = Var | null | typeof POISON;
interface Info {
  tangent: Tangent;
  dependsOnInput: boolean;
}

/** The linearization of `f` at (params, x): a linear program in the parameters, and f's output. */
export interface Linearized {
  /** The linear program: parameter tangents in, output tangent out. */
  program: LinearProgram;
  /** Names of the kernels that were linearized (those with a parameter-dependent input). */
  kernels: string[];
  /** The primal output f(params, x) (several outputs: flattened per row and concatenated). */
  output: Tensor;
}

// deno-lint-ignore no-explicit-any
type Engine = any;

/** Several outputs as the NTK sees them: flattened per row and concatenated. */
function joinOutputs(r: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(r) ? tf.concat(r.map((t) => tf.reshape(t, [t.shape[0], -1])), 1) : r;
}

/**
 * f(params, x) (several outputs joined), as a tensor the caller owns and may dispose: when f
 * returns a tensor it did not make (a parameter, the input, a constant it closes over), a new
 * handle on it — never the caller's own tensor.
 */
export function evaluateOutput(f: ParamFn, params: Record<string, tf.Tensor>, x: tf.Tensor | tf.Tensor[]): tf.Tensor {
  const firstNewId: number = (tf.engine() as Engine).nextTensorId();
  const y = tf.tidy(() => joinOutputs(f(params, x)));
  return y.id < firstNewId ? tf.clone(y) : y;
}

/** What one trace accumulates while f runs. */
interface TraceState {
  b: ProgramBuilder;
  /** Tangent and input dependence of every tensor seen, by tensor id. */
  info: Map<number, Info>;
  /**
   * Buffers of values that depend on the parameters: reading one while tracing would freeze
   * a parameter-dependent value (reading the input, e.g. token ids, is fine).
   */
  paramData: Set<unknown>;
  unsupported: { kernel: string; where: string }[];
  /** Names of the kernels linearized, in order. */
  linearized: string[];
  /** > 0 inside a kernel, or while linearizing. */
  depth: number;
  /** Reads of parameter-dependent buffers by f. */
  reads: number;
}

/** A fresh trace: each parameter a tangent input of the program, each input marked as such. */
function startTrace(params: Record<string, Tensor>, x: Tensor | Tensor[]): TraceState {
  const b = new ProgramBuilder();
  const info = new Map<number, Info>();
  for (const [name, t] of Object.entries(params)) {
    if (t.dtype !== "float32") throw new DTypeError(`params["${name}"]`, t.dtype, "float32");
    // A parameter with no entries has no tangent directions: it adds nothing to any kernel,
    // and an empty tangent axis would reach the methods' reshapes as a size they cannot infer.
    if (t.size === 0) continue;
    info.set(t.id, { tangent: b.param(name, t.shape), dependsOnInput: false });
  }
  for (const t of Array.isArray(x) ? x : [x]) info.set(t.id, { tangent: null, dependsOnInput: true });
  const paramData = new Set<unknown>(Object.values(params).map((t) => t.dataId));
  return { b, info, paramData, unsupported: [], linearized: [], depth: 0, reads: 0 };
}

/** One kernel call as the tracer sees it: its inputs by name, their info, its outputs. */
interface KernelCall {
  // deno-lint-ignore no-explicit-any
  kp: any;
  names: string[];
  inputs: Map<string, tf.Tensor | null>;
  ins: (Info | null)[];
  outs: tf.Tensor[];
  /** Whether any input depends on f's input. */
  dep: boolean;
}

function infoOf(st: TraceState, t: tf.Tensor | null): Info | null {
  return t ? st.info.get(t.id) ?? { tangent: null, dependsOnInput: false } : null;
}

// deno-lint-ignore no-explicit-any
function kernelCall(st: TraceState, kp: any, out: tf.Tensor | tf.Tensor[]): KernelCall {
  const outs = Array.isArray(out) ? out : [out];
  const names: string[] = Array.isArray(kp.inputs)
    ? kp.inputs.map((_: unknown, i: number) => String(i))
    : Object.keys(kp.inputs ?? {});
  const inputs = new Map<string, tf.Tensor | null>(
    names.map((n: string) => [n, (Array.isArray(kp.inputs) ? kp.inputs[Number(n)] : kp.inputs[n]) ?? null]),
  );
  const ins = [...inputs.values()].map((t) => infoOf(st, t));
  return { kp, names, inputs, ins, outs, dep: ins.some((i) => i?.dependsOnInput) };
}

/** The context a kernel's linearization emits into; its output tangents land in `tangents`. */
function kernelContext(st: TraceState, call: KernelCall, source: string, tangents: Tangent[]): KernelCtx {
  const { kp, names, inputs, ins, outs, dep } = call;
  const ids = new Map<number, boolean>();
  for (const [i, t] of [...inputs.values()].entries()) if (t) ids.set(t.id, ins[i]!.dependsOnInput);
  // Our own handle on the same data (a reshape shares it on every backend; tf.clone copies on wasm).
  const keep = (t: tf.Tensor) => st.b.own(tf.keep(tf.reshape(t, t.shape)));
  return {
    kernel: kp.kernelName,
    attrs: kp.attrs ?? {},
    inputNames: names,
    input: (n) => inputs.get(n) ?? null,
    tangent: (n) => {
      const t = inputs.get(n);
      const tg = t ? infoOf(st, t)!.tangent : null;
      return tg === POISON ? null : tg;
    },
    outputs: outs,
    emit<P extends PrimitiveName>(prim: P, args: Arg[], params: ParamsOf<P>, outShape: number[]): Var {
      const operands: Operand[] = args.map((a) =>
        (a as tf.Tensor).dataId !== undefined
          ? { const: { value: keep(a as tf.Tensor), inputDependent: ids.get((a as tf.Tensor).id) ?? dep } }
          : { var: a as Var }
      );
      const kept = Object.fromEntries(
        Object.entries(params as object).map(([k, v]) => [k, v instanceof tf.Tensor ? keep(v) : v]),
      ) as ParamsOf<P>;
      return st.b.emit(prim, operands, kept, outShape, source);
    },
    setTangent: (i, v) => void (tangents[i] = v),
  };
}

/** The output tangents of one kernel call: linearized by its rule, poisoned, or none. */
function linearizeCall(st: TraceState, call: KernelCall, engine: Engine): Tangent[] {
  const { kp, inputs, ins, outs } = call;
  if (ins.some((i) => i?.tangent === POISON)) return outs.map(() => POISON);
  // A tensor without entries carries no tangent, and an output without entries needs none:
  // the rules never see an empty tangent (linear_program.ts prunes what still reaches them).
  const carries = [...inputs.values()].some((t, i) => t && t.size > 0 && ins[i]?.tangent);
  if (!outs.some((t) => t.size > 0) || !carries) return outs.map(() => null);
  const rule = KERNELS[kp.kernelName as string];
  const where = [traceContext.layer && `layer ${traceContext.layer}`, engine.state?.activeScope?.name]
    .filter(Boolean).join(", ");
  if (!rule) {
    st.unsupported.push({ kernel: kp.kernelName, where });
    return outs.map(() => POISON);
  }
  const tangents: Tangent[] = outs.map(() => null);
  const ctx = kernelContext(st, call, `${kp.kernelName}${where ? ` (${where})` : ""}`, tangents);
  st.linearized.push(kp.kernelName);
  st.depth++;
  try {
    tf.tidy(() => rule.linearize(ctx));
  } finally {
    st.depth--;
  }
  return tangents;
}

/** Records one top-level kernel call: its outputs' tangents and input dependence. */
// deno-lint-ignore no-explicit-any
function recordKernel(st: TraceState, engine: Engine, kp: any, out: tf.Tensor | tf.Tensor[]): void {
  const call = kernelCall(st, kp, out);
  const tangents = linearizeCall(st, call, engine);
  call.outs.forEach((t, i) => {
    st.info.set(t.id, { tangent: tangents[i], dependsOnInput: call.dep });
    if (tangents[i]) st.paramData.add(t.dataId);
  });
}

/**
 * Hooks the engine's kernel calls and reads for one trace; returns what puts the hooks back
 * (hooks already installed — a trace inside a traced f, as in linearize's fLin — are restored).
 */
function installHooks(engine: Engine, st: TraceState): () => void {
  const orig = engine.runKernelFunc;
  const origReadSync = engine.readSync;
  const origRead = engine.read;
  const hooks = ["runKernelFunc", "readSync", "read"];
  const saved = hooks.map((k) => Object.getOwnPropertyDescriptor(engine, k));
  // deno-lint-ignore no-explicit-any
  engine.runKernelFunc = function (kp: any) {
    // Kernels inside kernels, and our own work, run untouched; customGrad frames are transparent.
    if (st.depth > 0 || kp.kernelName == null) return orig.call(this, kp);
    st.depth++;
    let out;
    try {
      out = orig.call(this, kp);
    } finally {
      st.depth--;
    }
    recordKernel(st, engine, kp, out);
    return out;
  };
  // deno-lint-ignore no-explicit-any
  engine.readSync = function (dataId: unknown, ...a: any[]) {
    if (st.depth === 0 && st.paramData.has(dataId)) st.reads++;
    return origReadSync.call(this, dataId, ...a);
  };
  // deno-lint-ignore no-explicit-any
  engine.read = function (dataId: unknown, ...a: any[]) {
    if (st.depth === 0 && st.paramData.has(dataId)) st.reads++;
    return origRead.call(this, dataId, ...a);
  };
  return () => hooks.forEach((k, i) => saved[i] ? Object.defineProperty(engine, k, saved[i]!) : delete engine[k]);
}

/** The finished trace, or its error (an unsupported kernel, a read of a parameter-dependent value). */
function finishTrace(st: TraceState, traced: tf.Tensor, firstNewId: number): Linearized {
  let output = traced;
  const fail = (e: Error) => {
    tf.dispose(st.b.owned);
    output.dispose();
    return e;
  };
  if (st.unsupported.length) {
    const seen = new Set<string>();
    throw fail(new UnsupportedKernelError(st.unsupported.filter((u) => !seen.has(u.kernel) && seen.add(u.kernel))));
  }
  if (st.reads > 0) throw fail(new DataDependentTraceError());
  // (Reads of the input alone are fine: the trace is redone on every call.)
  const out = st.info.get(output.id)?.tangent ?? null;
  // An output that does not depend on the parameters: a var no equation produces (zero).
  const outVar = out && out !== POISON ? out : st.b.newVar(output.shape, false);
  // f may return a tensor it did not make (a parameter, the input, a captured constant): the
  // output is the caller's to dispose, so it gets its own handle, never the user's tensor.
  if (output.id < firstNewId) output = tf.clone(output);
  return { program: st.b.build(outVar), kernels: st.linearized, output };
}

/** Runs f on (params, x) and returns its linearization in the parameters. */
export function traceLinear(f: ParamFn, params: Record<string, Tensor>, x: Tensor | Tensor[]): Linearized {
  const engine: Engine = tf.engine();
  const st = startTrace(params, x);
  const restoreHooks = installHooks(engine, st);
  // Tensors with ids below this existed before f ran (the caller's parameters and inputs,
  // constants f closes over).
  const firstNewId: number = engine.nextTensorId();
  let output: tf.Tensor;
  try {
    output = tf.tidy(() => joinOutputs(f(params, x)));
  } catch (e) {
    tf.dispose(st.b.owned);
    throw e;
  } finally {
    restoreHooks();
  }
  return finishTrace(st, output, firstNewId);
}
