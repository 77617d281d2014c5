/**
 * The suite's roofline: a lower bound on a traced NTK's time from the layer shapes alone, and the
 * machine numbers it needs, measured in the same run on the same backend. Also the kernel-hook
 * FLOP count of what actually ran (tf.profile), to cross-check the engine's own count.
 *
 * The formulas (per example; rows R = positions sharing a dense layer's weights):
 *   layer        forward F                     weight grad Bw              input grad Bx      params
 *   dense        R(2·in·out + out·[bias] + out·[act])  R(2·in·out + out·[bias])  R(2·in·out + out·[act])  in·out + out·[bias]
 *   conv         M(2·k²·cin·cout + cout·([bias]+[act])), M = outH·outW;  Bw = M(2k²·cin·cout + cout·[bias]);
 *                Bx = M(2k²·cin·cout + cout·[act]);  params k²·cin·cout + cout·[bias]
 *   depthwise    2·M·k²·c (F, Bw and Bx alike); params k²·c
 *   affine (inference BatchNorm, + ReLU6)  F = E(2 + [act]), Bw = 2E, Bx = E(1 + [act]); params 2·channels
 *   layernorm    F = 10·R·d (mean, centre, variance, rsqrt-scale, γ, β), Bw = 2·R·d, Bx = 12·R·d; params 2d
 *   attention    per head, scores Q·Kᵀ and A·V: F = 4·T²·d + 5·T²·heads (softmax);
 *                Bx = 8·T²·d + 3·T²·heads; no params
 *   rnn step ×T  F = T(2·f·H + 2·H² + 2H), Bw = T(2·f·H + 2·H²), Bx = T(2·H² + 2H); params f·H + H²
 *   elementwise  (residual add, mean pool) F = E, Bx = E
 * With B = Σ Bw + Σ Bx over all layers but the first's Bx (no cotangent for the input), for
 * N1 × N2 examples, O outputs traced (mean) and P parameters, the paper's methods cost:
 *   Jacobian contraction  (N1 + N2)(F + O·B) + 2·N1·N2·O·P
 *   NTK-vector products   N2(F + O·B) + N1·N2·O·(F + B)          (a VJP per output of x2_m, a JVP per pair;
 *                                                                   a JVP's tangent costs about B)
 *   structured (only when every parametrised layer is a one-row dense layer):
 *                         (N1 + N2)(F + O·ΣBx) + Σ_dense 2·N1·N2·((in + [bias]) + O·out + O)
 *                         (activation Gram, cotangent Gram per output, their product summed)
 * unavoidable FLOPs = the least of these. Unavoidable bytes = 4·(P + (N1 + N2)·input + N1·N2): the
 * parameters and inputs read once, the kernel written once (a weak bound, said so).
 * Minimal launches = 3·ops + #parameter tensors (one forward, a batched backward of two kernels
 * per op, one contraction per parameter tensor), ops = kernels of one forward by layer type.
 * bound = max(FLOPs / GEMM peak, bytes / bandwidth) + launches × launch latency.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Layer } from "./_workloads.ts";

export interface LayerCost {
  F: number;
  Bw: number;
  Bx: number;
  params: number;
  ops: number;
  paramTensors: number;
}

/** Per-example forward and backward FLOPs of one layer, by formula. */
export function layerCost(l: Layer): LayerCost {
  const b = (x: boolean) => (x ? 1 : 0);
  switch (l.type) {
    case "dense": {
      const mm = 2 * l.in * l.out;
      return {
        F: l.rows * (mm + l.out * (b(l.bias) + b(l.act))),
        Bw: l.rows * (mm + l.out * b(l.bias)),
        Bx: l.rows * (mm + l.out * b(l.act)),
        params: l.in * l.out + l.out * b(l.bias),
        ops: 1 + b(l.bias) + b(l.act),
        paramTensors: 1 + b(l.bias),
      };
    }
    case "conv": {
      const m = l.outH * l.outW, mm = 2 * m * l.k * l.k * l.cin * l.cout;
      return {
        F: mm + m * l.cout * (b(l.bias) + b(l.act)),
        Bw: mm + m * l.cout * b(l.bias),
        Bx: mm + m * l.cout * b(l.act),
        params: l.k * l.k * l.cin * l.cout + l.cout * b(l.bias),
        ops: 1 + b(l.bias) + b(l.act),
        paramTensors: 1 + b(l.bias),
      };
    }
    case "depthwise": {
      const mm = 2 * l.outH * l.outW * l.k * l.k * l.c;
      return { F: mm, Bw: mm, Bx: mm, params: l.k * l.k * l.c, ops: 1, paramTensors: 1 };
    }
    case "affine":
      return {
        F: l.entries * (2 + b(l.act)),
        Bw: 2 * l.entries,
        Bx: l.entries * (1 + b(l.act)),
        params: 2 * l.channels,
        ops: 2 + b(l.act),
        paramTensors: 2,
      };
    case "layernorm":
      return {
        F: 10 * l.rows * l.d,
        Bw: 2 * l.rows * l.d,
        Bx: 12 * l.rows * l.d,
        params: 2 * l.d,
        ops: 8,
        paramTensors: 2,
      };
    case "attention": {
      const t2 = l.T * l.T;
      return {
        F: 4 * t2 * l.d + 5 * t2 * l.heads,
        Bw: 0,
        Bx: 8 * t2 * l.d + 3 * t2 * l.heads,
        params: 0,
        ops: 8,
        paramTensors: 0,
      };
    }
    case "rnn": {
      const { T, features: f, hidden: H } = l;
      return {
        F: T * (2 * f * H + 2 * H * H + 2 * H),
        Bw: T * (2 * f * H + 2 * H * H),
        Bx: T * (2 * H * H + 2 * H),
        params: f * H + H * H,
        ops: 4 * T,
        paramTensors: 2,
      };
    }
    case "elementwise":
      return { F: l.entries, Bw: 0, Bx: l.entries, params: 0, ops: 1, paramTensors: 0 };
  }
}

export interface Unavoidable {
  /** FLOPs per method by formula, and the least. */
  methods: Record<string, number>;
  flops: number;
  cheapest: string;
  bytes: number;
  launches: number;
  params: number;
}

/** The traced NTK's unavoidable work for N1 × N2 examples of a model of these layers. */
export function unavoidable(layers: Layer[], N1: number, N2: number, O: number, inputPerExample: number): Unavoidable {
  const costs = layers.map(layerCost);
  const F = costs.reduce((a, c) => a + c.F, 0);
  const Bx = costs.slice(1).reduce((a, c) => a + c.Bx, layers[0].type === "rnn" ? costs[0].Bx : 0);
  const B = costs.reduce((a, c) => a + c.Bw, 0) + Bx;
  const P = costs.reduce((a, c) => a + c.params, 0);
  const methods: Record<string, number> = {
    jacobian: (N1 + N2) * (F + O * B) + 2 * N1 * N2 * O * P,
    ntkvp: N2 * (F + O * B) + N1 * N2 * O * (F + B),
  };
  const parametrised = layers.filter((_, i) => costs[i].params > 0);
  if (parametrised.every((l) => l.type === "dense" && l.rows === 1)) {
    methods.structured = (N1 + N2) * (F + O * Bx) + parametrised.reduce((a, l) => {
      const d = l as Extract<Layer, { type: "dense" }>;
      return a + 2 * N1 * N2 * (d.in + (d.bias ? 1 : 0) + O * d.out + O);
    }, 0);
  }
  const cheapest = Object.keys(methods).reduce((a, m) => (methods[m] < methods[a] ? m : a));
  return {
    methods,
    flops: methods[cheapest],
    cheapest,
    bytes: 4 * (P + (N1 + N2) * inputPerExample + N1 * N2),
    launches: 3 * costs.reduce((a, c) => a + c.ops, 0) + costs.reduce((a, c) => a + c.paramTensors, 0),
    params: P,
  };
}

/** The machine numbers of the bound, measured on the backend in use. */
export interface Machine {
  /** GFLOP/s of a large square matMul (best of 5). */
  gemmGflops: number;
  /** GB/s of a large add (two reads, one write; best of 5). */
  bandwidthGBs: number;
  /** Milliseconds per kernel of a chain of tiny adds. */
  launchMs: number;
}

async function best(fn: () => tf.Tensor, reps: number): Promise<number> {
  let t = Infinity;
  for (let r = 0; r <= reps; r++) {
    const t0 = performance.now();
    const y = fn();
    await y.data();
    if (r > 0) t = Math.min(t, performance.now() - t0); // the first run warms up
    y.dispose();
  }
  return t;
}

/** Measures GEMM peak, memory bandwidth and launch latency (`small`: smaller sizes, for the smoke run). */
export async function measureMachine(small = false): Promise<Machine> {
  const n = small ? 512 : 1024;
  const [a, b] = [tf.randomNormal([n, n]), tf.randomNormal([n, n])];
  const mm = await best(() => tf.matMul(a, b), 5);
  const e = small ? 1 << 22 : 1 << 24;
  const [u, v] = [tf.randomNormal([e]), tf.randomNormal([e])];
  const add = await best(() => tf.add(u, v), 5);
  const tiny = tf.ones([4]);
  const chain = 200;
  const launch = await best(() => {
    let t = tf.add(tiny, tiny);
    for (let i = 1; i < chain; i++) {
      const next = tf.add(t, tiny);
      t.dispose();
      t = next;
    }
    return t;
  }, 5);
  tf.dispose([a, b, u, v, tiny]);
  return { gemmGflops: (2 * n ** 3) / (mm * 1e6), bandwidthGBs: (3 * 4 * e) / (add * 1e6), launchMs: launch / chain };
}

/** The roofline bound in milliseconds. */
export function boundMs(u: Unavoidable, m: Machine): number {
  return Math.max(u.flops / (m.gemmGflops * 1e6), u.bytes / (m.bandwidthGBs * 1e6)) + u.launches * m.launchMs;
}

const numel = (s: number[] | null) => (s ?? []).reduce((a, b) => a * b, 1);

/** Kernels that move or relabel data without arithmetic. */
const NO_ARITHMETIC = new Set([
  "Reshape",
  "Transpose",
  "Slice",
  "StridedSlice",
  "Concat",
  "Pack",
  "Unpack",
  "SplitV",
  "PadV2",
  "MirrorPad",
  "Cast",
  "Identity",
  "Fill",
  "ZerosLike",
  "OnesLike",
  "GatherV2",
  "GatherNd",
  "ScatterNd",
  "Tile",
  "ExpandDims",
  "Squeeze",
  "Reverse",
  "BroadcastTo",
  "Range",
  "OneHot",
  "TensorScatterUpdate",
]);
const REDUCTIONS = new Set(["Sum", "Mean", "Max", "Min", "Prod", "All", "Any", "ArgMax", "ArgMin", "Cumsum"]);

/**
 * FLOPs of one profiled kernel from its shapes: matMul 2·out·k, convolutions 2·(output-side
 * entries)·(window·cin), reductions one per input entry, everything else arithmetic one per
 * output entry, data movement none. The same conventions as the rules' counts for the kernels
 * that dominate (GEMMs and convolutions); elementwise conventions may differ by small factors.
 */
export function kernelFlops(k: { name: string; inputShapes: (number[] | null)[]; outputShapes: number[][] }): number {
  const out = numel(k.outputShapes[0] ?? []);
  const [i0, i1] = k.inputShapes;
  switch (k.name) {
    case "BatchMatMul":
    case "_FusedMatMul": {
      // out [..., m, n]; a holds m·k per batch: k = a's last two axes' size / m.
      const o = k.outputShapes[0], m = o[o.length - 2];
      const a = i0!, kk = (a[a.length - 1] * a[a.length - 2]) / m;
      return 2 * out * kk + (k.name === "_FusedMatMul" ? 2 * out : 0);
    }
    case "Conv2D":
    case "FusedConv2D": // x [n,h,w,cin], filter [kh,kw,cin,cout]
      return 2 * out * i1![0] * i1![1] * i1![2];
    case "Conv2DBackpropInput": // dy, filter [kh,kw,cin,cout]: dx entries × kh·kw·cout
      return 2 * out * i1![0] * i1![1] * i1![3];
    case "Conv2DBackpropFilter": // x, dy → filter [kh,kw,cin,cout]: filter entries × dy's n·h·w
      return 2 * out * numel(i1!) / i1![i1!.length - 1];
    case "DepthwiseConv2dNative":
    case "FusedDepthwiseConv2D": // filter [kh,kw,c,mult]
      return 2 * out * i1![0] * i1![1];
    case "DepthwiseConv2dNativeBackpropInput":
      return 2 * out * i1![0] * i1![1];
    case "DepthwiseConv2dNativeBackpropFilter":
      return 2 * out * numel(i1!) / i1![i1!.length - 1];
    case "Einsum":
      return NaN; // shapes alone do not say the contraction
  }
  if (NO_ARITHMETIC.has(k.name)) return 0;
  if (REDUCTIONS.has(k.name)) return numel(i0);
  return out;
}

export interface Hooked {
  flops: number;
  kernels: number;
  kernelMs: number;
  /** Kernels whose FLOPs the shapes do not say (counted as 0). */
  unknown: string[];
  /** The largest contributors by kernel name. */
  byName: Record<string, number>;
}

/** Runs `fn` under tf.profile and counts what ran: FLOPs by shape, kernels, and their summed time. */
export async function hookedRun<T>(fn: () => Promise<T>): Promise<{ result: T; hooked: Hooked }> {
  let result: T;
  const info = await tf.profile(async () => {
    result = await fn();
    return [] as tf.Tensor[];
  });
  const byName: Record<string, number> = {};
  const unknown = new Set<string>();
  let flops = 0, kernelMs = 0;
  for (const k of info.kernels) {
    const f = kernelFlops(k as never);
    if (Number.isNaN(f)) unknown.add(k.name);
    else {
      flops += f;
      byName[k.name] = (byName[k.name] ?? 0) + f;
    }
    kernelMs += Number(k.kernelTimeMs) || 0;
  }
  return { result: result!, hooked: { flops, kernels: info.kernels.length, kernelMs, unknown: [...unknown], byName } };
}
