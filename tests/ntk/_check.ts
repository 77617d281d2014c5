// Shared check: an NTK method's kernel against the explicit J1·J2ᵀ from tf.grads on cpu.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { empiricalNtkFn, type NtkInfo, type NtkMethod } from "../../mod.ts";
import { onCpu, referenceNtk, relError } from "../_ref.ts";
import type { Model } from "./_models.ts";

export interface CheckOptions {
  method: NtkMethod;
  n1: number;
  n2: number | null;
  traceAxes?: number[];
  diagonalAxes?: number[];
  tol?: number;
}

/** Computes the NTK on the current backend and compares it with the reference; returns info. */
export async function checkAgainstReference(model: Model, o: CheckOptions): Promise<NtkInfo> {
  const tol = o.tol ?? (tf.getBackend() === "webgpu" ? 1e-3 : 1e-4);
  const p = model.params();
  const x1 = model.input(o.n1, 1);
  const x2 = o.n2 === null ? null : model.input(o.n2, 2);
  const ntk = empiricalNtkFn(model.f, { method: o.method, traceAxes: o.traceAxes, diagonalAxes: o.diagonalAxes });
  const before = tf.memory().numTensors;
  const { kernel, info } = await ntk.run(x1, x2, p);
  assert.equal(tf.memory().numTensors - before, 1, "only the returned kernel stays alive");
  const got = await kernel.data();
  const ref = await onCpu(() => {
    const [pc, a, b] = [model.params(), model.input(o.n1, 1), o.n2 === null ? null : model.input(o.n2, 2)];
    const r = referenceNtk(model.f, pc, a, b, o.traceAxes ?? [-1], o.diagonalAxes ?? []);
    tf.dispose([...Object.values(pc), a, ...(b ? [b] : [])]);
    return r;
  });
  assert.deepEqual(kernel.shape, ref.shape, `${model.name}: kernel shape`);
  const err = relError(got, ref.data);
  assert.ok(err <= tol, `${model.name} (${o.method}, ${tf.getBackend()}): rel error ${err} > ${tol}`);
  tf.dispose([kernel, x1, ...(x2 ? [x2] : []), ...Object.values(p)]);
  return info;
}
