// rules/_pad.ts: padLead (zero padding with interior and negative edges, after lead axes) and
// unpadLead (its transpose) against plain loops, on cpu and wasm.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import "../../src/core/backend.ts";
import { dilate, type PadConfig, padLead, unpadLead } from "../../rules/_pad.ts";
import { type Arr, at, fromFn, numel, randArr, toTensor } from "./_rule_harness.ts";
import { NATIVE_IF_PRESENT } from "../_native.ts";

/** Output position → operand index along one axis (null: a padded zero). */
function source(o: number, n: number, [lo, , interior]: [number, number, number]): number | null {
  const p = o - lo;
  if (p < 0 || p % (interior + 1) !== 0) return null;
  const i = p / (interior + 1);
  return i < n ? i : null;
}

const paddedSize = (n: number, [lo, hi, interior]: [number, number, number]) =>
  lo + hi + n + Math.max(n - 1, 0) * interior;

/** padLead by loops: `a` is [...lead, ...operand]. */
function padLoops(a: Arr, config: PadConfig): Arr {
  const lead = a.shape.length - config.length;
  const operand = a.shape.slice(lead);
  const out = [...a.shape.slice(0, lead), ...operand.map((n, k) => paddedSize(n, config[k]))];
  return fromFn(out, (o) => {
    const idx = o.slice(lead).map((x, k) => source(x, operand[k], config[k]));
    return idx.some((i) => i === null) ? 0 : at(a, [...o.slice(0, lead), ...(idx as number[])]);
  });
}

/** unpadLead by loops: entry i of the operand reads the padded position it was sent to. */
function unpadLoops(ct: Arr, config: PadConfig, operand: number[]): Arr {
  const lead = ct.shape.length - config.length;
  return fromFn([...ct.shape.slice(0, lead), ...operand], (i) => {
    const pos = i.slice(lead).map((x, k) => config[k][0] + x * (config[k][2] + 1));
    const inside = pos.every((p, k) => p >= 0 && p < ct.shape[lead + k]);
    return inside ? at(ct, [...i.slice(0, lead), ...pos]) : 0;
  });
}

const CASES: { operand: number[]; config: PadConfig }[] = [
  { operand: [4, 3], config: [[1, 2, 0], [0, 0, 0]] },
  { operand: [4, 3], config: [[0, 0, 2], [1, 1, 1]] },
  { operand: [5, 4], config: [[-1, 2, 0], [1, -2, 1]] },
  { operand: [4], config: [[-2, -1, 1]] }, // crops into interior zeros
  { operand: [4], config: [[-1, -2, 2]] },
  { operand: [3, 2, 4], config: [[0, 0, 0], [2, -1, 3], [-1, -1, 0]] },
  { operand: [1, 3], config: [[2, 0, 4], [0, 0, 0]] }, // interior on a size-1 axis adds nothing
  { operand: [4, 3], config: [[-4, 0, 0], [0, 0, 0]] }, // cropped to nothing
];
const LEADS = [[], [3], [2, 1]];

for (const backend of ["cpu", ...NATIVE_IF_PRESENT, "wasm"]) {
  Deno.test({
    name: `padLead and unpadLead match plain loops on ${backend}`,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      await tf.setBackend(backend);
      const before = tf.memory().numTensors;
      for (const { operand, config } of CASES) {
        for (const lead of LEADS) {
          const label = `[${lead}] + [${operand}] by ${JSON.stringify(config)} on ${backend}`;
          const x = randArr([...lead, ...operand], 1);
          const want = padLoops(x, config);
          const xt = toTensor(x);
          const padded = tf.tidy(() => padLead(xt, config));
          assert.deepEqual(padded.shape, want.shape, `${label}: padLead's shape`);
          assert.deepEqual(Array.from(await padded.data()), Array.from(want.data, Math.fround), `${label}: padLead`);
          const ct = randArr(want.shape, 2);
          const ctt = toTensor(ct);
          const back = tf.tidy(() => unpadLead(ctt, config, operand));
          const wantBack = unpadLoops(ct, config, operand);
          assert.deepEqual(back.shape, wantBack.shape, `${label}: unpadLead's shape`);
          assert.deepEqual(
            Array.from(await back.data()),
            Array.from(wantBack.data, Math.fround),
            `${label}: unpadLead`,
          );
          tf.dispose([xt, padded, ctt, back]);
        }
      }
      assert.equal(tf.memory().numTensors, before, "tensors leaked");
    },
  });
}

Deno.test({
  name: "dilate inserts interior zeros along one axis",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await tf.setBackend("cpu");
    const x = randArr([3, 4], 3);
    const xt = toTensor(x);
    const d = tf.tidy(() => dilate(xt, 1, 2));
    const want = fromFn([3, 10], ([i, j]) => (j % 3 === 0 ? at(x, [i, j / 3]) : 0));
    assert.deepEqual(d.shape, [3, 10]);
    assert.deepEqual(Array.from(await d.data()), Array.from(want.data));
    assert.equal(numel(d.shape), 30);
    tf.dispose([xt, d]);
  },
});
