// Prints what AUTO's speed model answers in a fresh process, and (with "measure") measures once.
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { measureThroughput, throughput, throughputMeasured } from "../../src/ntk/cost.ts";
await tf.setBackend("wasm");
const t0 = performance.now();
const first = await throughput();
const firstMs = performance.now() - t0;
const out: Record<string, unknown> = { first, firstMs, measuredBefore: throughputMeasured() };
if (Deno.args.includes("measure")) out.measured = await measureThroughput();
console.log(JSON.stringify(out));
