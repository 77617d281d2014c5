// .npy reading and writing: dtypes, C order, and clear errors for everything else.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { initBackend, NpyError, parseNpy, toNpy } from "../mod.ts";

await initBackend("cpu");

/** A .npy file as numpy writes it (version 1.0). */
function npy(descr: string, shape: number[], body: ArrayBufferView, fortran = false): Uint8Array {
  const s = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  let header = `{'descr': '${descr}', 'fortran_order': ${fortran ? "True" : "False"}, 'shape': ${s}, }`;
  header += " ".repeat(64 - ((10 + header.length + 1) % 64)) + "\n";
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(10 + h.length + body.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, h.length & 255, h.length >> 8]);
  out.set(h, 10);
  out.set(new Uint8Array(body.buffer, body.byteOffset, body.byteLength), 10 + h.length);
  return out;
}

Deno.test("parseNpy() reads float32, int32, and float64 as float32", async () => {
  const f = parseNpy(npy("<f4", [2, 3], Float32Array.from([1, 2, 3, 4, 5, 6.5])));
  assert.deepEqual([f.dtype, f.shape, Array.from(await f.data())], ["float32", [2, 3], [1, 2, 3, 4, 5, 6.5]]);
  const i = parseNpy(npy("<i4", [3], Int32Array.from([7, -1, 3])));
  assert.deepEqual([i.dtype, i.shape, Array.from(await i.data())], ["int32", [3], [7, -1, 3]]);
  const d = parseNpy(npy("<f8", [2, 1], Float64Array.from([0.1, 1e-3])));
  assert.equal(d.dtype, "float32");
  assert.deepEqual(Array.from(await d.data()), [Math.fround(0.1), Math.fround(1e-3)]);
  const scalar = parseNpy(npy("<f4", [], Float32Array.from([3])));
  assert.deepEqual(scalar.shape, []);
  tf.dispose([f, i, d, scalar]);
});

Deno.test("toNpy() round-trips float32 and int32 through parseNpy()", async () => {
  for (
    const t of [
      tf.tensor([[1.5, -2], [3, 4]]),
      tf.tensor([5, 6, 7], [3], "int32"),
      tf.tensor([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2]),
    ]
  ) {
    const back = parseNpy(await toNpy(t));
    assert.deepEqual([back.dtype, back.shape], [t.dtype, t.shape]);
    assert.deepEqual(Array.from(await back.data()), Array.from(await t.data()));
    tf.dispose([t, back]);
  }
  await assert.rejects(() => toNpy(tf.tensor([true], [1], "bool")), NpyError);
});

Deno.test("parseNpy() rejects what it cannot read, saying why", () => {
  assert.throws(() => parseNpy(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])), /not a \.npy file/);
  assert.throws(() => parseNpy(npy("<i8", [2], BigInt64Array.from([1n, 2n]))), /'<i8'.*astype\(np\.int32\)/);
  assert.throws(() => parseNpy(npy("<f4", [2, 2], new Float32Array(4), true)), /Fortran order/);
  assert.throws(() => parseNpy(npy("<f4", [2, 2], new Float32Array(3))), /truncated/);
  assert.throws(() => parseNpy(npy("|b1", [2], new Uint8Array(2))), NpyError);
});

Deno.test("toNpy() writes a float32 cast of int32 on tfjs-cpu as floats (tfjs keeps the Int32Array there)", async () => {
  await initBackend("cpu");
  const cast = tf.cast(tf.tensor1d([0, 1, 7], "int32"), "float32");
  const back = parseNpy(await toNpy(cast));
  assert.equal(back.dtype, "float32");
  assert.deepEqual(Array.from(await back.data()), [0, 1, 7]); // exact: small integers
  tf.dispose([cast, back]);
});
