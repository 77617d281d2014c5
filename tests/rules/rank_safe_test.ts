// The rank-safe tensor helpers (src/core/tensor_ops.ts) at ranks 5 to 9 (pad and reverse step
// above 4 axes, everything above MAX_RANK), with patterns that do not merge (alternating
// broadcast, sum, reverse, pad and cut axes; interleaving permutations), so the stepwise paths run: each against the plain tfjs op on the cpu backend (right at any
// rank), exactly on cpu and wasm (moves only) or to 1e-6 (arithmetic), 1e-4 on webgpu.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import "../../src/core/backend.ts";
import {
  addB,
  broadcastToB,
  concatB,
  divB,
  gatherB,
  maskEachRow,
  MAX_RANK,
  mulB,
  padB,
  reverseB,
  sliceB,
  subB,
  sumB,
  transposeB,
  zerosB,
} from "../../src/core/tensor_ops.ts";
import { awayFromZero, randn } from "../_data.ts";
import { relError } from "../_ref.ts";
import { NATIVE_IF_PRESENT } from "../_native.ts";

/** Alternating 2s and 3s, so merged runs stay as many as the axes. */
const shapeOf = (rank: number) => Array.from({ length: rank }, (_, i) => 2 + (i % 2));
/** The shape with every other axis set to 1 (starting at `from`). */
const holes = (s: number[], from: number) => s.map((n, i) => (i % 2 === from ? 1 : n));
const evens = (r: number) => Array.from({ length: r }, (_, i) => i).filter((i) => i % 2 === 0);

interface HelperCase {
  name: string;
  /** The helper and the plain op on the same inputs. */
  run: (rank: number, plain: boolean) => tf.Tensor;
}

const CASES: HelperCase[] = [
  {
    name: "mulB, alternating broadcast",
    run: (r, plain) => {
      const s = shapeOf(r);
      const [a, b] = [randn(holes(s, 0), 1), randn(holes(s, 1), 2)];
      return (plain ? tf.mul : mulB)(a, b);
    },
  },
  { name: "addB, same shape", run: (r, plain) => (plain ? tf.add : addB)(randn(shapeOf(r), 3), randn(shapeOf(r), 4)) },
  {
    name: "subB, b of lower rank",
    run: (r, plain) => (plain ? tf.sub : subB)(randn(shapeOf(r), 5), randn(shapeOf(r).slice(2), 6)),
  },
  { name: "divB by a scalar", run: (r, plain) => (plain ? tf.div : divB)(randn(shapeOf(r), 7), tf.scalar(3)) },
  {
    name: "divB, alternating broadcast",
    run: (r, plain) =>
      (plain ? tf.div : divB)(randn(holes(shapeOf(r), 1), 8), awayFromZero(holes(shapeOf(r), 0), 0.5, 2, 9)),
  },
  {
    name: "broadcastToB, alternating axes",
    run: (r, plain) => (plain ? tf.broadcastTo : broadcastToB)(randn(holes(shapeOf(r), 0), 10), shapeOf(r)),
  },
  { name: "sumB over every other axis", run: (r, plain) => (plain ? tf.sum : sumB)(randn(shapeOf(r), 11), evens(r)) },
  {
    name: "sumB over every other axis, keepDims",
    run: (r, plain) => (plain ? tf.sum : sumB)(randn(shapeOf(r), 12), evens(r), true),
  },
  {
    name: "transposeB, interleaving halves",
    run: (r, plain) => {
      const h = Math.ceil(r / 2);
      const perm = Array.from({ length: r }, (_, i) => (i % 2 === 0 ? i / 2 : h + (i - 1) / 2));
      return (plain ? tf.transpose : transposeB)(randn(shapeOf(r), 13), perm);
    },
  },
  {
    name: "transposeB, reversed axes",
    run: (r, plain) => (plain ? tf.transpose : transposeB)(randn(shapeOf(r), 14), shapeOf(r).map((_, i) => r - 1 - i)),
  },
  {
    name: "reverseB on every other axis",
    run: (r, plain) => (plain ? tf.reverse : reverseB)(randn(shapeOf(r), 15), evens(r)),
  },
  {
    name: "padB on every other axis",
    run: (r, plain) => {
      const w = shapeOf(r).map((_, i) => (i % 2 === 0 ? [1, i % 4 === 0 ? 0 : 2] : [0, 0]) as [number, number]);
      return plain ? tf.pad(randn(shapeOf(r), 16), w) : padB(randn(shapeOf(r), 16), w);
    },
  },
  {
    name: "sliceB cutting every other axis",
    run: (r, plain) => {
      const s = shapeOf(r);
      const [begin, size] = [s.map((_, i) => (i % 2 === 0 ? 1 : 0)), s.map((n, i) => (i % 2 === 0 ? 1 : n))];
      return (plain ? tf.slice : sliceB)(randn(s, 17), begin, size);
    },
  },
  {
    name: "gatherB with 2-D indices",
    run: (r, plain) => {
      const idx = tf.tensor2d([[1, 0, 1], [0, 0, 1]], [2, 3], "int32");
      return (plain ? tf.gather : gatherB)(randn(shapeOf(r), 18), idx, 3);
    },
  },
  {
    name: "concatB on axis 3",
    run: (r, plain) => (plain ? tf.concat : concatB)([randn(shapeOf(r), 19), randn(shapeOf(r), 20)], 3),
  },
  { name: "zerosB", run: (r, plain) => (plain ? tf.zeros : zerosB)(shapeOf(r)) },
  {
    // 2 rows along axis 1 of the shape (size 3, one entry a row, rows repeating), one lead axis.
    name: "maskEachRow on axis 1",
    run: (r, plain) => {
      const shape = shapeOf(r - 2), t = randn([2, ...shape], 21);
      if (!plain) return maskEachRow(t, 1, shape, 2, { axis: 1, inner: 1 });
      const rowOf = Array.from({ length: shape[1] }, (_, i) => i % 2);
      const mask = tf.tensor([0, 1].flatMap((row) => rowOf.map((q) => (q === row ? 1 : 0))), [
        2,
        ...shape.map((n, i) => (i === 1 ? n : 1)),
      ]);
      return tf.mul(tf.expandDims(t, 1), mask);
    },
  },
];

for (const backend of ["cpu", ...NATIVE_IF_PRESENT, "wasm", "webgpu"]) {
  Deno.test({
    name: `rank-safe helpers at ranks 5–${MAX_RANK + 3} match the plain ops on cpu, on ${backend}`,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      const tol = backend === "webgpu" ? 1e-4 : 1e-6;
      const fails: string[] = [];
      for (const c of CASES) {
        for (let rank = 5; rank <= MAX_RANK + 3; rank++) {
          await tf.setBackend("cpu");
          const want = tf.tidy(() => c.run(rank, true));
          const [ws, wv] = [want.shape, await want.data()];
          want.dispose();
          await tf.setBackend(backend);
          const before = tf.memory().numTensors;
          const got = tf.tidy(() => c.run(rank, false));
          if (tf.memory().numTensors - before !== 1) fails.push(`${c.name} at rank ${rank}: leaks`);
          const err = got.shape.join() === ws.join() ? relError(await got.data(), wv) : Infinity;
          got.dispose();
          if (!(err <= tol)) {
            fails.push(`${c.name} at rank ${rank}: rel error ${err} (shape [${got.shape}] vs [${ws}])`);
          }
        }
      }
      assert.deepEqual(fails, []);
    },
  });
}
