// The check every layer case passes: the NTK of `fromLayersModel(model).f` (full kernel,
// traceAxes []) on the current backend against explicit Jacobians from tf.grads on cpu.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { empiricalNtkFn, fromLayersModel, type LayersModelFn, type NtkMethod } from "../../mod.ts";
import { onCpu, referenceNtk, relError } from "../_ref.ts";
import { buildCase, type LayerCase } from "./_layer_cases.ts";

export const N1 = 3, N2 = 2, TOL = 1e-4;

interface Prepared {
  wrapped: LayersModelFn;
  ref: { data: Float64Array; shape: number[] };
}

// One model and one reference per case, shared by the methods (the reference is the slow part).
const prepared = new Map<LayerCase, Promise<Prepared>>();

function prepare(c: LayerCase): Promise<Prepared> {
  if (!prepared.has(c)) {
    prepared.set(
      c,
      onCpu(() => {
        const model = buildCase(c);
        const wrapped = fromLayersModel(model);
        const [x1, x2] = [c.input(N1, 1), c.input(N2, 2)];
        const f = c.reference ? c.reference(model) : wrapped.f;
        if (c.reference) {
          // The reference must be the same map as the model.
          const [y, yRef] = tf.tidy(() => [wrapped.f(wrapped.params, x1), f(wrapped.params, x1)] as tf.Tensor[]);
          assert.ok(relError(y.dataSync(), yRef.dataSync()) < 1e-5, `${c.name}: the reference differs from the model`);
          tf.dispose([y, yRef]);
        }
        const ref = referenceNtk(f, wrapped.params, x1, x2, [], []);
        tf.dispose([x1, x2]);
        return { wrapped, ref };
      }),
    );
  }
  return prepared.get(c)!;
}

/** Runs `method` on the current backend and compares with the cpu reference. */
export async function checkLayerCase(c: LayerCase, method: Exclude<NtkMethod, "auto">): Promise<void> {
  const { wrapped, ref } = await prepare(c);
  const [x1, x2] = [c.input(N1, 1), c.input(N2, 2)];
  const ntk = empiricalNtkFn(wrapped.f, { method, traceAxes: [] });
  const [backend, before] = [tf.getBackend(), tf.memory().numTensors];
  const { kernel, info } = await ntk.run(x1, x2, wrapped.params);
  assert.equal(tf.memory().numTensors - before, 1, `${c.name}: only the returned kernel stays alive`);
  assert.equal(info.backend, backend);
  const got = await kernel.data();
  assert.deepEqual(kernel.shape, ref.shape, `${c.name}: kernel shape`);
  assert.ok(ref.data.some((v) => v !== 0), `${c.name}: the reference kernel is zero`);
  const err = relError(got, ref.data);
  assert.ok(err <= TOL, `${c.name} (${method}, ${tf.getBackend()}): rel error ${err} > ${TOL}`);
  tf.dispose([kernel, x1, x2]);
}
