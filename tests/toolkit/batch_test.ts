// batch(): the kernels of empiricalNtkFn (traced and full), empiricalNngpFn and empiricalKernelFn
// assembled from blocks equal the unbatched kernels, for x2 = null and given, block sizes that do
// and do not divide N, and a byte budget; progress is reported block by block; bad options and
// results that are not [N1, N2, …] kernels are refused; nothing leaks. Every backend.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import {
  batch,
  empiricalKernelFn,
  empiricalNngpFn,
  empiricalNtkFn,
  InvalidOptionError,
  ShapeMismatchError,
} from "../../mod.ts";
import { mlp } from "../ntk/_models.ts";
import { tensorRelError } from "../_ref.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

for (const backend of ["cpu", "wasm", "webgpu"]) {
  Deno.test({
    name: `batch() of NTK, NNGP and both equals the unbatched kernels on ${backend}`,
    ...opts,
    fn: async () => {
      await tf.setBackend(backend);
      const m = mlp("tanh", { width: 16, out: 3 });
      const p = m.params(), x1 = m.input(7, 1), x2 = m.input(5, 2);
      const fns = {
        "NTK traced": empiricalNtkFn(m.f),
        "NTK full": empiricalNtkFn(m.f, { traceAxes: [] }),
        "NNGP": empiricalNngpFn(m.f),
      };
      const before = tf.memory().numTensors;
      for (const [name, fn] of Object.entries(fns)) {
        for (const second of [null, x2]) {
          const want = await fn(x1, second, p);
          for (const batchSize of [2, 3, 7]) {
            const progress: number[][] = [];
            const got = await batch(fn, { batchSize, onProgress: (d, t) => progress.push([d, t]) })(x1, second, p);
            const err = await tensorRelError(got, want);
            const blocks = Math.ceil(7 / batchSize) * Math.ceil((second ? 5 : 7) / batchSize);
            assert.deepEqual(progress.at(-1), [blocks, blocks]);
            assert.equal(progress.length, blocks);
            assert.ok(err <= 1e-5, `${name}, x2 ${second ? "given" : "null"}, batchSize ${batchSize}: ${err}`);
            got.dispose();
          }
          want.dispose();
        }
      }
      const both = empiricalKernelFn(m.f);
      const want = await both(x1, x2, p, ["ntk", "nngp"]);
      const got = await batch(both, { batchSize: 3 })(x1, x2, p, ["ntk", "nngp"]);
      const errs = [await tensorRelError(got.ntk, want.ntk), await tensorRelError(got.nngp, want.nngp)];
      console.log(`  empiricalKernelFn: ntk ${errs[0].toExponential(2)}, nngp ${errs[1].toExponential(2)}`);
      assert.ok(errs.every((e) => e <= 1e-5), `${errs}`);
      tf.dispose([got.ntk, got.nngp, want.ntk, want.nngp]);
      assert.equal(tf.memory().numTensors, before, "no leak");
      tf.dispose([x1, x2, ...Object.values(p)]);
    },
  });
}

Deno.test({
  name: "batch() picks the block size from a byte budget: b² × bytes per pair ≤ budget",
  ...opts,
  fn: async () => {
    await tf.setBackend("cpu");
    const m = mlp("tanh", { width: 8, out: 2 });
    const p = m.params(), x = m.input(9, 1);
    const ntk = empiricalNtkFn(m.f, { traceAxes: [] }); // 2 × 2 × 4 bytes = 16 bytes per pair
    const calls: number[][] = [];
    const spy = (a: tf.Tensor | tf.Tensor[], b: tf.Tensor | tf.Tensor[] | null, q: typeof p) => {
      calls.push([(a as tf.Tensor).shape[0], b === null ? -1 : (b as tf.Tensor).shape[0]]);
      return ntk(a, b, q);
    };
    const got = await batch(spy, { budget: 16 * 16 + 15 })(x, null, p); // b = 4: 3 × 3 blocks
    assert.deepEqual(calls[0], [1, -1], "the probe: one example");
    assert.deepEqual(calls.slice(1).map((c) => c[0]), [4, 4, 4, 4, 4, 4, 1, 1, 1]);
    const want = await ntk(x, null, p);
    assert.ok((await tensorRelError(got, want)) <= 1e-5);
    tf.dispose([got, want, x, ...Object.values(p)]);
  },
});

Deno.test({
  name: "batch() refuses bad options and results that are not [N1, N2, …] kernels, leaving nothing behind",
  ...opts,
  fn: async () => {
    await tf.setBackend("cpu");
    const x = tf.ones([4, 2]);
    const before = tf.memory().numTensors;
    const diag = (a: tf.Tensor | tf.Tensor[]) => tf.tidy(() => tf.sum(tf.square(a as tf.Tensor), 1)); // [N]: no blocks
    assert.throws(() => batch(diag, { batchSize: 0 }), InvalidOptionError);
    assert.throws(() => batch(diag, { budget: -1 }), /budget/);
    // deno-lint-ignore no-explicit-any
    assert.throws(() => batch(null as any), /kernelFn/);
    await assert.rejects(batch(diag, { batchSize: 2 })(x, null), ShapeMismatchError);
    await assert.rejects(batch(diag)(x, [tf.ones([4, 1]), tf.ones([3, 1])]), /x2/);
    assert.equal(tf.memory().numTensors, before + 2, "only the test's own x2 tensors remain");
    x.dispose();
  },
});

Deno.test({
  name: "batch() draws a progress bar on stderr when asked (by default only when stderr is a terminal)",
  ...opts,
  fn: async () => {
    await tf.setBackend("cpu");
    const x = tf.ones([5, 2]);
    const gram = (a: tf.Tensor | tf.Tensor[], b: tf.Tensor | tf.Tensor[] | null) =>
      tf.matMul(a as tf.Tensor, (b ?? a) as tf.Tensor, false, true);
    const written: string[] = [];
    const original = Deno.stderr.writeSync;
    Deno.stderr.writeSync = (bytes: Uint8Array) => (written.push(new TextDecoder().decode(bytes)), bytes.length);
    try {
      tf.dispose(await batch(gram, { batchSize: 2, progressBar: true })(x, null));
      const quiet = written.length;
      tf.dispose(await batch(gram, { batchSize: 2, progressBar: false })(x, null));
      assert.equal(written.length, quiet, "progressBar: false writes nothing");
    } finally {
      Deno.stderr.writeSync = original;
    }
    assert.equal(written.length, 9, "one update per block");
    assert.match(written[0], /^\r\[#{3}\.{27}\] 1\/9 blocks$/);
    assert.equal(written[8], `\r[${"#".repeat(30)}] 9/9 blocks\n`);
    x.dispose();
  },
});
