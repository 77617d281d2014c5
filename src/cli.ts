/**
 * `deno task ntk`: prints the NTK of a model. With no arguments it runs a small built-in MLP on
 * seeded inputs. (Loading model.json files arrives with the layers adapter.)
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { empiricalNtkFn, initBackend, METHOD_NAMES, type NtkMethod } from "../mod.ts";
import { InvalidOptionError } from "./errors.ts";

function seeded(shape: number[], seed: number, scale = 1): tf.Tensor {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
  const n = shape.reduce((x, y) => x * y, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => scale * 2 * next()), shape);
}

async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      method: { type: "string", default: "auto" },
      backend: { type: "string", default: "auto" },
      full: { type: "boolean", default: false },
    },
  });
  if (!METHOD_NAMES.includes(values.method as NtkMethod)) {
    throw new InvalidOptionError("--method", values.method, METHOD_NAMES);
  }
  const backend = await initBackend(values.backend as "auto");
  const params = { w1: seeded([4, 32], 1, 0.8), b1: seeded([32], 2, 0.1), w2: seeded([32, 3], 3, 0.3) };
  const f = (p: Record<string, tf.Tensor>, x: tf.Tensor | tf.Tensor[]) =>
    tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x as tf.Tensor, p.w1), p.b1)), p.w2), 0);
  const x = seeded([6, 4], 4);
  const ntk = empiricalNtkFn(f, { method: values.method as NtkMethod, traceAxes: values.full ? [] : [-1] });
  const { kernel, info } = await ntk.run(x, null, params);
  console.log(`NTK of the built-in MLP (4 → 32 relu → 3) on 6 seeded inputs:`);
  console.log(
    `shape [${kernel.shape}] · method ${info.method} · backend ${backend} · ${info.ms.toFixed(1)} ms · ${
      (info.flops / 1e6).toFixed(2)
    } MFLOP · example axis ${info.exampleAxis.tracked ? "tracked" : "lost"}`,
  );
  if (kernel.rank === 2) {
    const rows = (await kernel.array()) as number[][];
    for (const r of rows) console.log(r.map((v) => v.toFixed(4).padStart(9)).join(" "));
  }
  kernel.dispose();
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
