/**
 * NumPy `.npy` files: read float32, float64 (cast to float32) and int32 arrays in C order;
 * write float32 and int32. Anything else is a clear error.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { ensureBackend } from "./backend.ts";
import type { Tensor } from "./types.ts";

/** A `.npy` file that cannot be read. */
export class NpyError extends Error {
  /** The class name, so that messages and logs say which error. */
  override name = "NpyError";
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Parses `.npy` bytes into a tensor (float64 becomes float32). */
export function parseNpy(bytes: Uint8Array, what = ".npy data"): Tensor {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new NpyError(`${what} is not a .npy file`);
  const major = bytes[6];
  const headerLen = major === 1
    ? bytes[8] | (bytes[9] << 8)
    : new DataView(bytes.buffer, bytes.byteOffset + 8, 4).getUint32(0, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new NpyError(`${what} has an unreadable header: ${header.trim()}`);
  }
  if (fortran === "True") throw new NpyError(`${what} is in Fortran order; save it in C order (np.ascontiguousarray)`);
  const shape = shapeText.split(",").map((s) => s.trim()).filter((s) => s.length).map(Number);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = bytes.slice(start + headerLen); // copy: aligned for typed arrays
  const need = (bytesPer: number) => {
    if (data.byteLength < n * bytesPer) {
      throw new NpyError(`${what} is truncated: ${data.byteLength} bytes of data for shape (${shape})`);
    }
  };
  switch (descr) {
    case "<f4":
      need(4);
      return tf.tensor(new Float32Array(data.buffer, 0, n), shape, "float32");
    case "<f8":
      need(8);
      return tf.tensor(Float32Array.from(new Float64Array(data.buffer, 0, n)), shape, "float32");
    case "<i4":
      need(4);
      return tf.tensor(new Int32Array(data.buffer, 0, n), shape, "int32");
    default:
      throw new NpyError(
        `${what} has dtype '${descr}'; expected float32 ('<f4'), float64 ('<f8') or int32 ('<i4')` +
          (/^[<|]?[iu]/.test(descr) ? " (for token ids: a.astype(np.int32))" : ""),
      );
  }
}

/** Serializes a float32 or int32 tensor as `.npy` (version 1.0, C order). */
export async function toNpy(t: Tensor): Promise<Uint8Array> {
  const descr = t.dtype === "float32" ? "<f4" : t.dtype === "int32" ? "<i4" : null;
  if (!descr) throw new NpyError(`Cannot write dtype ${t.dtype} to .npy: expected float32 or int32`);
  const shape = t.shape.length === 1 ? `(${t.shape[0]},)` : `(${t.shape.join(", ")})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header = header + " ".repeat(pad % 64) + "\n";
  // tfjs-cpu's cast of int32 to float32 keeps the Int32Array: convert, or its bits would be read as floats.
  const data = await t.data();
  const values = t.dtype === "float32"
    ? (data instanceof Float32Array ? data : Float32Array.from(data))
    : (data instanceof Int32Array ? data : Int32Array.from(data));
  const body = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const out = new Uint8Array(10 + header.length + body.length);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  out[8] = header.length & 0xff;
  out[9] = header.length >> 8;
  out.set(new TextEncoder().encode(header), 10);
  out.set(body, 10 + header.length);
  return out;
}

/** Reads a `.npy` file (choosing the backend first if none is set). */
export async function readNpy(path: string): Promise<Tensor> {
  await ensureBackend();
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    throw new NpyError(`Cannot read ${path}: ${(e as Error).message}`);
  }
  return parseNpy(bytes, path);
}

/** Writes a tensor to a `.npy` file. */
export async function writeNpy(path: string, t: Tensor): Promise<void> {
  await Deno.writeFile(path, await toNpy(t));
}
