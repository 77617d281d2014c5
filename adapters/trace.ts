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

/** Runs f on (params, x) and returns its linearization in the parameters. */
export function traceLinear(f: ParamFn, params: Record<string, Tensor>, x: Tensor | Tensor[]): Linearized {
  const engine: Engine = tf.engine();
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

  // Buffers of values that depend on the parameters: reading one while tracing would freeze
  // a parameter-dependent value (reading the input, e.g. token ids, is fine).
  const paramData = new Set<unknown>(Object.values(params).map((t) => t.dataId));
  const unsupported: { kernel: string; where: string }[] = [];
  const linearized: string[] = [];
  let depth = 0; // > 0 inside a kernel, or while linearizing
  let reads = 0;
  const orig = engine.runKernelFunc;
  const origReadSync = engine.readSync;
  const origRead = engine.read;
  // Hooks already installed (a trace inside a traced f, as in linearize's fLin) are put back after.
  const hooks = ["runKernelFunc", "readSync", "read"];
  const saved = hooks.map((k) => Object.getOwnPropertyDescriptor(engine, k));

  // deno-lint-ignore no-explicit-any
  const record = (kp: any, out: tf.Tensor | tf.Tensor[]) => {
    const outs = Array.isArray(out) ? out : [out];
    const names = Array.isArray(kp.inputs)
      ? kp.inputs.map((_: unknown, i: number) => String(i))
      : Object.keys(kp.inputs ?? {});
    const inputs = new Map<string, tf.Tensor | null>(
      names.map((n: string) => [n, (Array.isArray(kp.inputs) ? kp.inputs[Number(n)] : kp.inputs[n]) ?? null]),
    );
    const infoOf = (
      t: tf.Tensor | null,
    ): Info | null => (t ? info.get(t.id) ?? { tangent: null, dependsOnInput: false } : null);
    const ins = [...inputs.values()].map(infoOf);
    const dep = ins.some((i) => i?.dependsOnInput);
    let tangents: Tangent[] = outs.map(() => null);
    if (ins.some((i) => i?.tangent === POISON)) {
      tangents = outs.map(() => POISON);
    } else if (
      // A tensor without entries carries no tangent, and an output without entries needs none:
      // the rules never see an empty tangent (linear_program.ts prunes what still reaches them).
      outs.some((t) => t.size > 0) && [...inputs.values()].some((t, i) => t && t.size > 0 && ins[i]?.tangent)
    ) {
      const rule = KERNELS[kp.kernelName as string];
      const where = [traceContext.layer && `layer ${traceContext.layer}`, engine.state?.activeScope?.name]
        .filter(Boolean).join(", ");
      if (!rule) {
        unsupported.push({ kernel: kp.kernelName, where });
        tangents = outs.map(() => POISON);
      } else {
        const source = `${kp.kernelName}${where ? ` (${where})` : ""}`;
        const ids = new Map<number, boolean>();
        for (const [i, t] of [...inputs.values()].entries()) if (t) ids.set(t.id, ins[i]!.dependsOnInput);
        // A handle of our own on the same data (a reshape shares it by reference count on every
        // backend; tf.clone copies on wasm): f may dispose its own tensors after the trace.
        const keep = (t: tf.Tensor) => b.own(tf.keep(tf.reshape(t, t.shape)));
        const ctx: KernelCtx = {
          kernel: kp.kernelName,
          attrs: kp.attrs ?? {},
          inputNames: names,
          input: (n) => inputs.get(n) ?? null,
          tangent: (n) => {
            const t = inputs.get(n);
            const tg = t ? infoOf(t)!.tangent : null;
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
            return b.emit(prim, operands, kept, outShape, source);
          },
          setTangent: (i, v) => void (tangents[i] = v),
        };
        linearized.push(kp.kernelName);
        depth++;
        try {
          tf.tidy(() => rule.linearize(ctx));
        } finally {
          depth--;
        }
      }
    }
    outs.forEach((t, i) => {
      info.set(t.id, { tangent: tangents[i], dependsOnInput: dep });
      if (tangents[i]) paramData.add(t.dataId);
    });
  };

  // deno-lint-ignore no-explicit-any
  engine.runKernelFunc = function (kp: any) {
    // Kernels inside kernels, and our own work, run untouched; customGrad frames are transparent.
    if (depth > 0 || kp.kernelName == null) return orig.call(this, kp);
    depth++;
    let out;
    try {
      out = orig.call(this, kp);
    } finally {
      depth--;
    }
    record(kp, out);
    return out;
  };
  // deno-lint-ignore no-explicit-any
  engine.readSync = function (dataId: unknown, ...a: any[]) {
    if (depth === 0 && paramData.has(dataId)) reads++;
    return origReadSync.call(this, dataId, ...a);
  };
  // deno-lint-ignore no-explicit-any
  engine.read = function (dataId: unknown, ...a: any[]) {
    if (depth === 0 && paramData.has(dataId)) reads++;
    return origRead.call(this, dataId, ...a);
  };
  // Tensors with ids below this existed before f ran (the caller's parameters and inputs,
  // constants f closes over).
  const firstNewId: number = engine.nextTensorId();
  let output: tf.Tensor;
  try {
    output = tf.tidy(() => joinOutputs(f(params, x)));
  } catch (e) {
    tf.dispose(b.owned);
    throw e;
  } finally {
    hooks.forEach((k, i) => saved[i] ? Object.defineProperty(engine, k, saved[i]!) : delete engine[k]);
  }
  const fail = (e: Error) => {
    tf.dispose(b.owned);
    output.dispose();
    return e;
  };
  if (unsupported.length) {
    const seen = new Set<string>();
    throw fail(new UnsupportedKernelError(unsupported.filter((u) => !seen.has(u.kernel) && seen.add(u.kernel))));
  }
  if (reads > 0) throw fail(new DataDependentTraceError());
  // (Reads of the input alone are fine: the trace is redone on every call.)
  const out = info.get(output.id)?.tangent ?? null;
  // An output that does not depend on the parameters: a var no equation produces (zero).
  const outVar = out && out !== POISON ? out : b.newVar(output.shape, false);
  // f may return a tensor it did not make (a parameter, the input, a captured constant): the
  // output is the caller's to dispose, so it gets its own handle, never the user's tensor.
  if (output.id < firstNewId) output = tf.clone(output);
  return { program: b.build(outVar), kernels: linearized, output };
}
