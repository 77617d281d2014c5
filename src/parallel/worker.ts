/**
 * A worker of `empiricalNtkParallelFn`: its own tfjs engine, the function loaded from its
 * source, and one kernel block at a time. Messages are handled in order.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../core/backend.ts";
import { type EmpiricalNtk, empiricalNtkFn } from "../api/empirical_ntk.ts";
import { fromWire, fromWireArgs, type WireTensor } from "./wire.ts";
import { bindParams } from "../core/param_tree.ts";
import { loadSource, type ToWorker, type WorkerNtkOptions } from "./protocol.ts";
import type { ParamFn } from "../../adapters/trace.ts";

const port = self as unknown as Worker;
let f: ParamFn | null = null;
let options: WorkerNtkOptions = {};
let ntk: EmpiricalNtk | null = null;
/** The parameters of the NTK (all, or this worker's share); the others are constants of f. */
let params: Record<string, tf.Tensor> = {};
let fixed: Record<string, tf.Tensor> = {};
/** f's extra arguments of the current call (tensors among them are this worker's copies). */
let rest: unknown[] = [];

async function handle(msg: ToWorker): Promise<void> {
  switch (msg.type) {
    case "init": {
      await initBackend(msg.backend);
      f = (await loadSource(msg.source)).f;
      options = msg.options;
      port.postMessage({ type: "ready" });
      return;
    }
    case "params": {
      tf.dispose([...Object.values(params), ...Object.values(fixed), ...rest.filter((a) => a instanceof tf.Tensor)]);
      rest = fromWireArgs(msg.rest);
      const all = Object.entries(msg.params).map(([k, w]) => [k, fromWire(w)] as const);
      const mine = (k: string) => !msg.own || msg.own.includes(k);
      params = Object.fromEntries(all.filter(([k]) => mine(k)));
      fixed = Object.fromEntries(all.filter(([k]) => !mine(k)));
      // The NTK of a share of the parameters: f with the rest held constant.
      // f on the flat record: the caller's tree rebuilt (same shape), the extra arguments bound.
      const g = bindParams<unknown, unknown[]>(f! as never, msg.tree ?? {}, rest) as ParamFn;
      ntk = empiricalNtkFn(msg.own ? (p, x) => g({ ...fixed, ...p }, x) : g, { ...options, method: msg.method });
      return;
    }
    case "block": {
      const input = (x: WireTensor[] | null) => (x ? x.map(fromWire) : null);
      const [x1, x2] = [input(msg.x1)!, input(msg.x2)];
      try {
        const { kernel, info } = await ntk!.run(
          x1.length === 1 ? x1[0] : x1,
          x2 && (x2.length === 1 ? x2[0] : x2),
          params,
        );
        const data = ((await kernel.data()) as Float32Array).slice(); // ours to transfer
        const shape = kernel.shape;
        kernel.dispose();
        port.postMessage({ type: "done", id: msg.id, shape, data, flops: info.flops, ms: info.ms }, [
          data.buffer as ArrayBuffer,
        ]);
      } finally {
        tf.dispose([...x1, ...(x2 ?? [])]);
      }
      return;
    }
  }
}

let queue = Promise.resolve();
port.onmessage = (e: MessageEvent<ToWorker>) => {
  queue = queue.then(() => handle(e.data)).catch((err: Error) => {
    const id = e.data.type === "block" ? e.data.id : -1;
    port.postMessage({ type: "error", id, name: err?.name ?? "Error", message: err?.message ?? String(err) });
  });
};
