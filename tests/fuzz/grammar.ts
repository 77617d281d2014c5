/**
 * The fuzzer's grammar: a program is a list of layer specs (small integers, so fast-check
 * shrinks them), interpreted leniently against the running shape into `f(params, x)`, a
 * tfjs-differentiable reference `ref(params, x)` (where tfjs's own gradient is wrong or missing,
 * README "tfjs 4.22 issues"), and readable code for counterexamples.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import { awayFromZero, randn, rng } from "../_data.ts";

export type Params = Record<string, tf.Tensor>;
type Fn = (p: Params, h: tf.Tensor) => tf.Tensor;

/** Every grammar op; the histogram must show each in ≥ 3% of programs. */
export const OPS = [
  "dense",
  "bmmBroadcast",
  "conv1d",
  "conv2d",
  "conv3d",
  "depthwise",
  "separable",
  "conv2dTranspose",
  "maxPool",
  "avgPool",
  "pool3d",
  "batchNorm",
  "layerNorm",
  "attention",
  "gather",
  "slice",
  "reshape",
  "transpose",
  "concat",
  "split",
  "stack",
  "binary",
  "unary",
  "reduce",
  "pad",
  "expandRank",
] as const;
export type OpName = typeof OPS[number];

/** How a layer gets its weight: a fresh parameter, a reused one, or a view of a parameter. */
export const WEIGHT_MODES = [
  "fresh",
  "reuse",
  "slice",
  "reshape",
  "unstack",
  "scale",
  "sliceReshape",
  "unstackReshape",
  "splitReshape",
] as const;
export type WeightMode = typeof WEIGHT_MODES[number];
/** View modes that compose a slice-like view with a reshape (issue 11, bug 1). */
export const COMPOSED_VIEWS: readonly WeightMode[] = ["sliceReshape", "unstackReshape", "splitReshape"];

export interface LayerSpec {
  op: OpName;
  a: number;
  b: number;
  c: number;
  w: WeightMode;
}

export interface ProgramSpec {
  n1: number;
  /** null: x2 = null (x2 = x1). */
  n2: number | null;
  feat: number[];
  /** Input is int tokens [N, T] fed to an embedding first. */
  tokens: boolean;
  layers: LayerSpec[];
  /** Final reshape to output rank 7 or 8 (0: keep). */
  outRank: number;
  /** Picks traceAxes / diagonalAxes. */
  axes: number;
  seed: number;
}

export interface ParamDecl {
  shape: number[];
  kind: "normal" | "awayFromZero" | "positive";
  scale: number;
}

/** A built program: what the runner needs and what the histogram counts. */
export interface Program {
  spec: ProgramSpec;
  f: (p: Params, x: tf.Tensor | tf.Tensor[]) => tf.Tensor;
  /** Same function in ops whose tfjs gradients are right (the oracle differentiates this). */
  ref: (p: Params, x: tf.Tensor | tf.Tensor[]) => tf.Tensor;
  code: string;
  params: Record<string, ParamDecl>;
  x1Shape: number[];
  x2Shape: number[] | null;
  inputDtype: "float32" | "int32";
  vocab: number;
  outShape: number[];
  traceAxes: number[];
  diagonalAxes: number[];
  ops: Set<OpName>;
  /** Weight modes used (reuse or views counted for coverage). */
  modes: Set<WeightMode>;
  /** `mode>construct` of every weight fetched. */
  viewUses: string[];
  /** Parameters used directly (no view) at their only use. */
  direct: Set<string>;
  /** Conditions of known backend bugs met by the program ("negativeSamePad", "maxPool3d", "padRank5"). */
  flags: Set<string>;
  /** Grammar construct of each use of each parameter (for info.structure expectations). */
  uses: Record<string, string[]>;
  /** No kinks (relu, max, abs, pooling by max): central differences apply. */
  smooth: boolean;
  zeroSize: boolean;
  /** A parameter carries the example axis (rows not independent: issue 11, bug 5). */
  rowsCoupled: boolean;
  /** Largest rank of any intermediate tensor or of the output. */
  maxRank: number;
  depth: number;
}

const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);
const js = (v: unknown) => JSON.stringify(v);

/** Zero-dilated filter (tfjs 4.22 has no gradient for dilated convolutions). */
export function dilateFilter(f: tf.Tensor, rates: number[]): tf.Tensor {
  let t = f;
  rates.forEach((r, axis) => {
    if (r === 1 || t.shape[axis] <= 1) return;
    const k = t.shape[axis];
    const s = t.shape;
    // [.., k, ..] → [.., k, r, ..] (zeros after each tap) → [.., k·r, ..] → first (k−1)·r+1.
    const e = tf.expandDims(t, axis + 1);
    const pads = e.shape.map((_, i) => (i === axis + 1 ? [0, r - 1] : [0, 0]) as [number, number]);
    const flat = tf.reshape(tf.pad(e, pads), [...s.slice(0, axis), k * r, ...s.slice(axis + 1)]);
    t = tf.slice(flat, s.map(() => 0), [...s.slice(0, axis), (k - 1) * r + 1, ...s.slice(axis + 1)]);
  });
  return t;
}

/** AvgPool 'same' as window sums (depthwise conv with ones) over window counts. */
function avgPoolSameRef(h: tf.Tensor, window: [number, number], strides: [number, number]): tf.Tensor {
  const c = h.shape[3] as number;
  const ones = tf.ones([window[0], window[1], c, 1]) as tf.Tensor4D;
  const sums = tf.depthwiseConv2d(h as tf.Tensor4D, ones, strides, "same");
  const counts = tf.depthwiseConv2d(tf.onesLike(h) as tf.Tensor4D, ones, strides, "same");
  return tf.div(sums, counts);
}

/** Factors feature size s into `r` dims (channels last), spreading prime factors. */
function factor(s: number, r: number): number[] {
  if (r <= 0) return [];
  const dims = new Array(r).fill(1);
  if (s === 0) {
    dims[0] = 0;
    return dims;
  }
  const primes: number[] = [];
  let m = s;
  for (let q = 2; q * q <= m; q++) while (m % q === 0) primes.push(q), m /= q;
  if (m > 1) primes.push(m);
  primes.sort((a, b) => b - a).forEach((q, i) => (dims[i % r] *= q));
  return dims;
}

interface Builder {
  params: Record<string, ParamDecl>;
  uses: Record<string, string[]>;
  modes: Set<WeightMode>;
  rand: () => number;
  count: number;
  viewUses: string[];
  direct: Set<string>;
  flags: Set<string>;
  /** N1 = N2 (or x2 null): a parameter may carry the example axis. */
  sameN: boolean;
}

/** A weight of `shape` for construct `use`, fetched through `mode`: [getter, code]. */
function weight(
  B: Builder,
  shape: number[],
  mode: WeightMode,
  use: string,
  kind: ParamDecl["kind"] = "normal",
  scale = 1 / Math.sqrt(Math.max(1, prod(shape.slice(0, -1)))),
): [(p: Params) => tf.Tensor, string] {
  const fresh = (s: number[]) => {
    const name = `w${B.count++}`;
    B.params[name] = { shape: s, kind, scale };
    B.uses[name] = [use];
    return name;
  };
  const size = prod(shape);
  if (mode === "reuse") {
    const hit = Object.entries(B.params).find(([, d]) => js(d.shape) === js(shape) && d.kind === kind);
    if (hit) {
      B.modes.add("reuse");
      B.viewUses.push(`reuse>${use}`);
      B.uses[hit[0]].push(use);
      return [(p) => p[hit[0]], `p.${hit[0]}`];
    }
    mode = "fresh";
  }
  // Views need a non-empty weight; a scalar's reshape views are fine.
  if (size === 0 && mode !== "fresh") mode = "fresh";
  B.modes.add(mode);
  B.viewUses.push(`${mode}>${use}`);
  switch (mode) {
    case "slice": {
      const n = fresh([shape[0] + 1, ...shape.slice(1)]);
      const begin = shape.map((_, i) => (i === 0 ? 1 : 0));
      return [(p) => tf.slice(p[n], begin, shape), `tf.slice(p.${n}, ${js(begin)}, ${js(shape)})`];
    }
    case "reshape": {
      const n = fresh([size]);
      return [(p) => tf.reshape(p[n], shape), `tf.reshape(p.${n}, ${js(shape)})`];
    }
    case "unstack": {
      const n = fresh([2, ...shape]);
      return [(p) => tf.unstack(p[n])[1], `tf.unstack(p.${n})[1]`];
    }
    case "scale": {
      const n = fresh(shape);
      const s = `s${B.count++}`;
      B.params[s] = { shape: [], kind: "awayFromZero", scale: 1 };
      B.uses[s] = [`${use}:scale`];
      return [(p) => tf.mul(p[n], p[s]), `tf.mul(p.${n}, p.${s})`];
    }
    case "sliceReshape": {
      const n = fresh([size + 1]);
      return [
        (p) => tf.reshape(tf.slice(p[n], [1], [size]), shape),
        `tf.reshape(tf.slice(p.${n}, [1], [${size}]), ${js(shape)})`,
      ];
    }
    case "unstackReshape": {
      const n = fresh([2, size]);
      return [(p) => tf.reshape(tf.unstack(p[n])[0], shape), `tf.reshape(tf.unstack(p.${n})[0], ${js(shape)})`];
    }
    case "splitReshape": {
      const n = fresh([2 * size]);
      return [(p) => tf.reshape(tf.split(p[n], 2)[1], shape), `tf.reshape(tf.split(p.${n}, 2)[1], ${js(shape)})`];
    }
    default: {
      const n = fresh(shape);
      B.direct.add(n);
      return [(p) => p[n], `p.${n}`];
    }
  }
}

/** One step: output fn, its reference (if tfjs's gradient of fn is wrong), code. */
interface Step {
  fn: Fn;
  ref?: Fn;
  code: string;
  smooth?: boolean;
  rowsCoupled?: boolean;
}

function toRank(shape: number[], r: number): number[] {
  if (shape.length === r) return shape;
  return [shape[0], ...factor(prod(shape.slice(1)), r - 1)];
}

/** Reshape step to rank r when needed (null when the shape already has it). */
function reshapeTo(shape: number[], r: number): Step | null {
  if (shape.length === r) return null;
  const t = toRank(shape, r).slice(1);
  return {
    fn: (_p, h) => tf.reshape(h, [h.shape[0], ...t]),
    code: `h = tf.reshape(h, [N, ${t.join(", ")}]);`,
  };
}

const pick = <T>(xs: readonly T[], i: number): T => xs[((i % xs.length) + xs.length) % xs.length];
const clampK = (k: number, size: number, pad: string) => (pad === "valid" ? Math.max(1, Math.min(k, size)) : k);

/** The steps of one layer at the running shape `s` (batch first). */
function layer(B: Builder, L: LayerSpec, s: number[], ops: Set<OpName>): Step[] {
  const { a, b, c } = L;
  const feat = s.slice(1);
  const r = s.length;
  const out: Step[] = [];
  const pre = (rank: number) => {
    const st = reshapeTo(s, rank);
    if (st) out.push(st);
    return toRank(s, rank);
  };
  ops.add(L.op);
  switch (L.op) {
    case "dense": {
      const F = s[r - 1];
      const G = c === 7 ? 0 : 1 + (a % 3);
      const [W, wc] = weight(B, [F, G], L.w, "dense");
      const bias = b % 2 === 1 ? weight(B, [G], "fresh", "dense.bias") : null;
      const mm = (p: Params, h: tf.Tensor) => {
        const y = r === 2
          ? tf.matMul(h as tf.Tensor2D, W(p) as tf.Tensor2D)
          : tf.reshape(tf.matMul(tf.reshape(h, [-1, F]), W(p) as tf.Tensor2D), [...h.shape.slice(0, -1), G]);
        return bias ? tf.add(y, bias[0](p)) : y;
      };
      out.push({
        fn: mm,
        code: `h = ${
          r === 2
            ? `tf.matMul(h, ${wc})`
            : `tf.reshape(tf.matMul(tf.reshape(h, [-1, ${F}]), ${wc}), [...h.shape.slice(0, -1), ${G}])`
        }${bias ? ` + ${bias[1]}` : ""};`,
      });
      break;
    }
    case "bmmBroadcast": {
      const [, , F] = pre(3);
      const G = 1 + (a % 3);
      const [W, wc] = weight(B, [1, F, G], L.w, "bmmBroadcast");
      out.push({
        fn: (p, h) => tf.matMul(h as tf.Tensor3D, W(p) as tf.Tensor3D),
        // tfjs's BatchMatMul gradient is wrong with broadcast batch axes: tile explicitly.
        ref: (p, h) => tf.matMul(h as tf.Tensor3D, tf.tile(W(p), [h.shape[0], 1, 1]) as tf.Tensor3D),
        code: `h = tf.matMul(h, ${wc}); // [1, ${F}, ${G}] broadcast over the batch`,
      });
      break;
    }
    case "conv1d":
    case "conv2d":
    case "conv3d":
    case "depthwise":
    case "separable": {
      const d = L.op === "conv1d" ? 1 : L.op === "conv3d" ? 3 : 2;
      const t = pre(d + 2);
      const sp = t.slice(1, -1), C = t[d + 1];
      const pad = (c & 1) ? "same" : "valid";
      const useDil = (b & 2) !== 0;
      const ks = sp.map((n, i) => clampK(1 + ((a >> i) % 3), n, pad));
      const strides = useDil ? sp.map(() => 1) : sp.map((_, i) => 1 + ((b >> (i + 2)) & 1));
      let dil = useDil ? sp.map((_n, i) => (((a + i) & 1) ? 2 : 1)) : sp.map(() => 1);
      // A dilated 'valid' window must fit.
      if (pad === "valid") dil = dil.map((r_, i) => ((ks[i] - 1) * r_ + 1 <= sp[i] ? r_ : 1));
      const Co = 1 + (c >> 1) % 3;
      const dilated = dil.some((x) => x > 1);
      // 'same' with an axis where (out − 1)·stride + k − in < 0 (tfjs-wasm gets these wrong: found-D).
      if (
        pad === "same" &&
        sp.some((n, i) => (Math.ceil(n / strides[i]) - 1) * strides[i] + (ks[i] - 1) * dil[i] + 1 - n < 0)
      ) {
        B.flags.add("negativeSamePad");
      }
      if (L.op === "depthwise" || L.op === "separable") {
        const mult = 1 + (c >> 2) % 2;
        const [W, wc] = weight(B, [...ks, C, mult], L.w, L.op);
        const [P, pc] = L.op === "separable"
          ? weight(B, [1, 1, C * mult, Co], "fresh", "separable.pointwise")
          : [null, ""];
        const dw = (h: tf.Tensor, w: tf.Tensor, dl: number[]) =>
          tf.depthwiseConv2d(
            h as tf.Tensor4D,
            w as tf.Tensor4D,
            strides as [number, number],
            pad,
            "NHWC",
            dl as [number, number],
          );
        const pw = (p: Params, y: tf.Tensor) => P ? tf.conv2d(y as tf.Tensor4D, P(p) as tf.Tensor4D, 1, "valid") : y;
        out.push({
          fn: (p, h) => pw(p, dw(h, W(p), dil)),
          ref: dilated ? (p, h) => pw(p, dw(h, dilateFilter(W(p), dil), [1, 1])) : undefined,
          code: L.op === "separable"
            ? `h = tf.separableConv2d(h, ${wc}, ${pc}, ${js(strides)}, "${pad}", ${js(dil)});`
            : `h = tf.depthwiseConv2d(h, ${wc}, ${js(strides)}, "${pad}", "NHWC", ${js(dil)});`,
        });
        if (L.op === "separable") {
          out[out.length - 1].fn = (p, h) =>
            tf.separableConv2d(
              h as tf.Tensor4D,
              W(p) as tf.Tensor4D,
              P!(p) as tf.Tensor4D,
              strides as [number, number],
              pad,
              dil as [number, number],
            );
          if (!dilated) out[out.length - 1].ref = (p, h) => pw(p, dw(h, W(p), dil));
        }
      } else {
        const [W, wc] = weight(B, [...ks, C, Co], L.w, L.op);
        const conv = (h: tf.Tensor, w: tf.Tensor, dl: number[]) =>
          d === 1 ? tf.conv1d(h as tf.Tensor3D, w as tf.Tensor3D, strides[0], pad, "NWC", dl[0]) : d === 2
            ? tf.conv2d(
              h as tf.Tensor4D,
              w as tf.Tensor4D,
              strides as [number, number],
              pad,
              "NHWC",
              dl as [number, number],
            )
            : tf.conv3d(
              h as tf.Tensor5D,
              w as tf.Tensor5D,
              strides as [number, number, number],
              pad,
              "NDHWC",
              dl as [number, number, number],
            );
        out.push({
          fn: (p, h) => conv(h, W(p), dil),
          ref: dilated ? (p, h) => conv(h, dilateFilter(W(p), dil), dil.map(() => 1)) : undefined,
          code: `h = tf.${L.op}(h, ${wc}, ${js(d === 1 ? strides[0] : strides)}, "${pad}", ${
            d === 1 ? '"NWC"' : d === 2 ? '"NHWC"' : '"NDHWC"'
          }, ${js(d === 1 ? dil[0] : dil)});`,
        });
      }
      break;
    }
    case "conv2dTranspose": {
      const t = pre(4);
      const [, H, Wd, C] = t;
      const pad = (c & 1) ? "same" : "valid";
      const st: [number, number] = [1 + (b & 1), 1 + ((b >> 1) & 1)];
      const ks = [1 + (a % 3), 1 + ((a >> 2) % 3)];
      const Co = 1 + (c >> 1) % 3;
      const [W, wc] = weight(B, [ks[0], ks[1], Co, C], L.w, "conv2dTranspose");
      const os = pad === "same" ? [H * st[0], Wd * st[1]] : [(H - 1) * st[0] + ks[0], (Wd - 1) * st[1] + ks[1]];
      out.push({
        fn: (p, h) =>
          tf.conv2dTranspose(h as tf.Tensor4D, W(p) as tf.Tensor4D, [h.shape[0], os[0], os[1], Co], st, pad),
        code: `h = tf.conv2dTranspose(h, ${wc}, [N, ${os[0]}, ${os[1]}, ${Co}], ${js(st)}, "${pad}");`,
      });
      break;
    }
    case "maxPool":
    case "avgPool": {
      const t = pre(4);
      const pad = (c & 1) ? "same" : "valid";
      const win: [number, number] = [clampK(1 + (a % 3), t[1], pad), clampK(1 + ((a >> 2) % 3), t[2], pad)];
      const st: [number, number] = [1 + (b & 1), 1 + ((b >> 1) & 1)];
      const isMax = L.op === "maxPool";
      out.push({
        fn: (_p, h) => (isMax ? tf.maxPool : tf.avgPool)(h as tf.Tensor4D, win, st, pad),
        // tfjs's AvgPool gradient is wrong with 'same' padding.
        ref: !isMax && pad === "same" ? (_p, h) => avgPoolSameRef(h, win, st) : undefined,
        code: `h = tf.${L.op}(h, ${js(win)}, ${js(st)}, "${pad}");`,
        smooth: !isMax,
      });
      break;
    }
    case "pool3d": {
      const t = pre(5);
      const isMax = (c & 1) === 1;
      // Cubic windows: tfjs's MaxPool3D gradient is wrong when the filter's height ≠ width.
      const k = Math.max(1, Math.min(1 + (a % 2), ...t.slice(1, 4)));
      const st = 1 + (b & 1);
      if (isMax) B.flags.add("maxPool3d");
      out.push({
        fn: (_p, h) => (isMax ? tf.maxPool3d : tf.avgPool3d)(h as tf.Tensor5D, k, st, "valid"),
        code: `h = tf.${isMax ? "maxPool3d" : "avgPool3d"}(h, ${k}, ${st}, "valid");`,
        smooth: !isMax,
      });
      break;
    }
    case "batchNorm": {
      const C = s[r - 1];
      const [G, gc] = weight(B, [C], L.w, "batchNorm.scale", "normal", 1);
      const [Bt, bc] = weight(B, [C], "fresh", "batchNorm.offset", "normal", 1);
      if (b % 2 === 0) {
        // Inference mode: fixed moving statistics.
        const mean = Array.from({ length: C }, (_, i) => 0.1 * ((i % 3) - 1));
        const variance = Array.from({ length: C }, (_, i) => 0.5 + 0.25 * (i % 4));
        out.push({
          fn: (p, h) => tf.batchNorm(h, tf.tensor1d(mean), tf.tensor1d(variance), Bt(p), G(p), 1e-3),
          // tfjs's FusedBatchNorm gradient fails for x of rank ≠ 4 (tiles with the wrong reps).
          ref: (p, h) =>
            tf.add(
              tf.mul(tf.div(tf.sub(h, tf.tensor1d(mean)), tf.sqrt(tf.add(tf.tensor1d(variance), 1e-3))), G(p)),
              Bt(p),
            ),
          code: `h = tf.batchNorm(h, ${js(mean)}, ${js(variance)}, ${bc}, ${gc}, 1e-3);`,
        });
      } else {
        // Training mode: batch statistics mix the rows.
        const axes = s.slice(0, -1).map((_, i) => i);
        out.push({
          fn: (p, h) => {
            const { mean, variance } = tf.moments(h, axes, true);
            return tf.add(tf.mul(tf.div(tf.sub(h, mean), tf.sqrt(tf.add(variance, 0.1))), G(p)), Bt(p));
          },
          code: `{ const m = tf.moments(h, ${
            js(axes)
          }, true); h = (h - m.mean) / sqrt(m.variance + 0.1) * ${gc} + ${bc}; }`,
          rowsCoupled: false,
        });
      }
      break;
    }
    case "layerNorm": {
      const C = s[r - 1];
      const [G, gc] = weight(B, [C], L.w, "layerNorm.scale", "normal", 1);
      const [Bt, bc] = weight(B, [C], "fresh", "layerNorm.offset", "normal", 1);
      out.push({
        fn: (p, h) => {
          const { mean, variance } = tf.moments(h, -1, true);
          return tf.add(tf.mul(tf.div(tf.sub(h, mean), tf.sqrt(tf.add(variance, 0.1))), G(p)), Bt(p));
        },
        code: `{ const m = tf.moments(h, -1, true); h = (h - m.mean) / sqrt(m.variance + 0.1) * ${gc} + ${bc}; }`,
      });
      break;
    }
    case "attention": {
      const [, T, F] = pre(3);
      const D = 1 + (a % 3);
      const q = weight(B, [F, D], L.w, "attention.q");
      const k = weight(B, [F, D], (b & 1) ? "reuse" : "fresh", "attention.k");
      const v = weight(B, [F, D], "fresh", "attention.v");
      const proj = (h: tf.Tensor, w: tf.Tensor) =>
        tf.reshape(tf.matMul(tf.reshape(h, [-1, F]), w as tf.Tensor2D), [h.shape[0], T, D]);
      out.push({
        fn: (p, h) => {
          const sc = tf.div(
            tf.matMul(proj(h, q[0](p)) as tf.Tensor3D, proj(h, k[0](p)) as tf.Tensor3D, false, true),
            Math.sqrt(D),
          );
          return tf.matMul(tf.softmax(sc), proj(h, v[0](p)) as tf.Tensor3D);
        },
        code: `h = attention(h, Wq=${q[1]}, Wk=${k[1]}, Wv=${v[1]}); // softmax(q·kᵀ/√${D})·v`,
      });
      break;
    }
    case "gather": {
      if (r >= 2 && (b & 1) === 1) {
        // Gather of the activations along a feature axis, with repeats.
        const axis = 1 + (a % (r - 1));
        const n = s[axis];
        if (n === 0) break;
        const idx = Array.from({ length: 1 + (c % 3) }, (_, i) => (a + 2 * i) % n);
        out.push({ fn: (_p, h) => tf.gather(h, idx, axis), code: `h = tf.gather(h, ${js(idx)}, ${axis});` });
      } else {
        // Embedding rows picked by constant ids, added along the last axis.
        const F = s[r - 1];
        const L2 = r >= 3 ? s[r - 2] : 1;
        const V = 2 + (c % 3);
        const [E, ec] = weight(B, [V, F], L.w, "gather.embedding");
        const idx = Array.from({ length: L2 }, (_, i) => (a + i) % V);
        out.push({ fn: (p, h) => tf.add(h, tf.gather(E(p), idx)), code: `h = h + tf.gather(${ec}, ${js(idx)});` });
      }
      break;
    }
    case "slice": {
      if (r < 2) break;
      const axis = 1 + (a % (r - 1));
      const n = s[axis];
      const begin = n === 0 ? 0 : b % n;
      const size = c === 7 ? 0 : Math.max(n === 0 ? 0 : 1, Math.min(n - begin, 1 + (c % 3)));
      const bg = s.map((_, i) => (i === axis ? begin : 0));
      const sz = s.map((d, i) => (i === 0 ? -1 : i === axis ? size : d));
      out.push({ fn: (_p, h) => tf.slice(h, bg, sz), code: `h = tf.slice(h, ${js(bg)}, ${js(sz)});` });
      break;
    }
    case "reshape": {
      const rank = 1 + (a % 4);
      const t = factor(prod(feat), rank);
      if (b & 1) t.reverse();
      out.push({ fn: (_p, h) => tf.reshape(h, [h.shape[0], ...t]), code: `h = tf.reshape(h, [N, ${t.join(", ")}]);` });
      break;
    }
    case "transpose": {
      if (r < 3) break;
      const perm = feat.map((_, i) => i + 1);
      const rr = rng(a * 7 + b * 13 + c + 1);
      for (let i = perm.length - 1; i > 0; i--) {
        const j = Math.floor(rr() * (i + 1));
        [perm[i], perm[j]] = [perm[j], perm[i]];
      }
      const full = [0, ...perm];
      out.push({ fn: (_p, h) => tf.transpose(h, full), code: `h = tf.transpose(h, ${js(full)});` });
      break;
    }
    case "concat":
    case "stack":
    case "split": {
      if (r < 2) break;
      const axis = 1 + (a % (r - 1));
      if (L.op === "split") {
        const n = s[axis];
        if (n < 2) {
          // tfjs's SplitV gradient fails for a single piece (concat of a non-array): identity.
          out.push({
            fn: (_p, h) => tf.concat(tf.split(h, 1, axis), axis),
            ref: (_p, h) => h,
            code: `h = tf.concat(tf.split(h, 1, ${axis}), ${axis});`,
          });
          break;
        }
        const first = 1 + (b % (n - 1));
        out.push({
          fn: (_p, h) => {
            const [u, v] = tf.split(h, [first, n - first], axis);
            return tf.concat([v, tf.tanh(u)], axis);
          },
          code: `{ const [u, v] = tf.split(h, [${first}, ${
            n - first
          }], ${axis}); h = tf.concat([v, tf.tanh(u)], ${axis}); }`,
        });
        break;
      }
      // The second operand: h scaled by a broadcast parameter.
      const ws = feat.map((d, i) => ((b >> i) & 1 ? 1 : d));
      const [W, wc] = weight(B, ws, L.w, `${L.op}.scale`, "normal", 1);
      if (L.op === "concat") {
        out.push({
          fn: (p, h) => tf.concat([h, tf.mul(h, W(p))], axis),
          code: `h = tf.concat([h, h * ${wc}], ${axis});`,
        });
      } else {
        const sa = 1 + (a % r);
        out.push({ fn: (p, h) => tf.stack([tf.mul(h, W(p)), h], sa), code: `h = tf.stack([h * ${wc}, h], ${sa});` });
      }
      break;
    }
    case "binary": {
      const kinds = ["add", "sub", "mul", "div", "maximum", "squaredDifference"] as const;
      const kind = pick(kinds, a);
      const coupled = c === 7 && B.sameN && kind !== "div";
      // Broadcast shape: drop leading feature dims and set some to 1.
      let ws = feat.map((d, i) => ((b >> i) & 1 ? 1 : d));
      ws = ws.slice(Math.min(c % 3, ws.length));
      if (coupled) ws = s.slice(); // carries the example axis: rows not independent
      if ((c & 4) && !coupled) {
        // Binary op of two activations: h ∘ tanh(h).
        out.push({
          fn: (_p, h) => tf[kind](h, kind === "div" ? tf.add(tf.square(h), 1) : tf.tanh(h)),
          code: `h = tf.${kind}(h, ${kind === "div" ? "h² + 1" : "tanh(h)"});`,
          smooth: kind !== "maximum",
        });
        break;
      }
      const [W, wc] = weight(B, ws, L.w, `binary.${kind}`, kind === "div" ? "awayFromZero" : "normal", 1);
      out.push({
        fn: (p, h) => tf[kind](h, W(p)),
        // tfjs's SquaredDifference gradient fails for a broadcast second operand.
        // tfjs's Maximum gradient fails for a broadcast second operand too (ties go to h in both).
        ref: kind === "squaredDifference"
          ? (p, h) => tf.square(tf.sub(h, W(p)))
          : kind === "maximum"
          ? (p, h) => tf.add(h, tf.relu(tf.sub(W(p), h)))
          : undefined,
        code: `h = tf.${kind}(h, ${wc}); // ${js(ws)}`,
        smooth: kind !== "maximum",
        rowsCoupled: coupled,
      });
      break;
    }
    case "unary": {
      const kinds = ["relu", "tanh", "sigmoid", "softplus", "elu", "leakyRelu", "sin", "square", "abs", "relu6", "exp"];
      const kind = pick(kinds, a + 3 * b);
      const smooth = ["tanh", "sigmoid", "softplus", "sin", "square"].includes(kind);
      out.push({
        fn: (_p, h) =>
          kind === "exp"
            ? tf.exp(tf.tanh(h))
            : kind === "leakyRelu"
            ? tf.leakyRelu(h, 0.2)
            : (tf[kind as "relu"] as (t: tf.Tensor) => tf.Tensor)(h),
        code: kind === "exp" ? "h = tf.exp(tf.tanh(h));" : `h = tf.${kind}(h);`,
        smooth: smooth || kind === "exp",
      });
      break;
    }
    case "reduce": {
      if (r < 2) break;
      const axis = 1 + (a % (r - 1));
      const keep = (b & 1) === 1 || r === 2;
      // The mean of an empty axis is NaN (0/0): sum there.
      const fnName = (c & 1) && s[axis] > 0 ? "mean" : "sum";
      out.push({
        fn: (_p, h) => tf[fnName](h, axis, keep),
        code: `h = tf.${fnName}(h, ${axis}, ${keep});`,
      });
      break;
    }
    case "pad": {
      if (r < 2) break;
      const axis = 1 + (a % (r - 1));
      const pads = s.map((_, i) => (i === axis ? [b % 2, c % 3] : [0, 0]) as [number, number]);
      if (r >= 5) B.flags.add("padRank5");
      out.push({ fn: (_p, h) => tf.pad(h, pads, 0), code: `h = tf.pad(h, ${js(pads)});` });
      break;
    }
    case "expandRank": {
      const target = 7 + (a % 2);
      if (r >= target) break;
      const t = [...factor(prod(feat), Math.min(3, feat.length || 1)), ...new Array(target).fill(1)].slice(
        0,
        target - 1,
      );
      out.push({ fn: (_p, h) => tf.reshape(h, [h.shape[0], ...t]), code: `h = tf.reshape(h, [N, ${t.join(", ")}]);` });
      break;
    }
  }
  return out;
}

/** Shrinks each feature dim (slices) until an example's output has ≤ `max` entries. */
function shrinkOutput(s: number[], max: number): Step | null {
  const t = s.slice();
  for (let i = t.length - 1; i >= 1 && prod(t.slice(1)) > max; i--) t[i] = Math.min(t[i], 2);
  for (let i = t.length - 1; i >= 1 && prod(t.slice(1)) > max; i--) t[i] = Math.min(t[i], 1);
  if (js(t) === js(s)) return null;
  const sz = t.map((d, i) => (i === 0 ? -1 : d));
  return {
    fn: (_p, h) => tf.slice(h, s.map(() => 0), sz),
    code: `h = tf.slice(h, 0, ${js(sz)}); // keep the oracle small`,
  };
}

/** Builds the program (runs it once on cpu to follow shapes); throws if tfjs rejects a shape. */
export function buildProgram(spec: ProgramSpec, maxOut = 12): Program {
  const B: Builder = {
    params: {},
    uses: {},
    modes: new Set(),
    rand: rng(spec.seed),
    count: 0,
    viewUses: [],
    direct: new Set(),
    flags: new Set(),
    sameN: spec.n1 >= 1 && (spec.n2 === null || spec.n2 === spec.n1),
  };
  const ops = new Set<OpName>();
  const steps: Step[] = [];
  const vocab = 5;
  const N = Math.max(spec.n1, spec.n2 ?? 0, 1);
  const probeParams = () => materialize(B.params, spec.seed);
  let s: number[];
  if (spec.tokens) {
    const T = spec.feat[0] ?? 2;
    const D = 1 + (spec.seed % 3);
    const [E, ec] = weight(B, [vocab, D], "fresh", "embedding", "normal", 1);
    steps.push({ fn: (p, x) => tf.gather(E(p), x), code: `h = tf.gather(${ec}, x); // embedding of int tokens` });
    ops.add("gather");
    s = [N, T, D];
  } else s = [N, ...spec.feat];
  let maxRank = s.length;
  let emptyInside = false;
  const xShape = spec.tokens ? [N, spec.feat[0] ?? 2] : [N, ...spec.feat];
  // Follow shapes by running each step on cpu (tfjs's own shape inference).
  let h = spec.tokens ? tf.zeros(xShape, "int32") : tf.randomNormal(xShape);
  const runStep = (st: Step) => {
    const p = probeParams();
    const y = tf.tidy(() => st.fn(p, h));
    tf.dispose([h, ...Object.values(p)]);
    h = y;
    s = y.shape.slice();
    maxRank = Math.max(maxRank, s.length);
    if (s.includes(0)) emptyInside = true;
  };
  try {
    for (const st of steps) {
      const first = h;
      const p = probeParams();
      h = tf.tidy(() => st.fn(p, first));
      tf.dispose([first, ...Object.values(p)]);
    }
    const layerSteps: Step[] = [];
    for (const L of spec.layers) {
      for (const st of layer(B, L, s, ops)) {
        runStep(st);
        layerSteps.push(st);
      }
      // Keep activations small: cap an example's size at 48 entries.
      if (prod(s.slice(1)) > 48) {
        const st = shrinkOutput(s, 48)!;
        runStep(st);
        layerSteps.push(st);
      }
    }
    steps.push(...layerSteps);
    const sh = shrinkOutput(s, maxOut);
    if (sh) runStep(sh), steps.push(sh);
    if (spec.outRank >= 7 && s.length < spec.outRank) {
      const t = [...s.slice(1), ...new Array(spec.outRank).fill(1)].slice(0, spec.outRank - 1);
      const st: Step = {
        fn: (_p, y) => tf.reshape(y, [y.shape[0], ...t]),
        code: `h = tf.reshape(h, [N, ${t.join(", ")}]);`,
      };
      runStep(st);
      steps.push(st);
    }
  } finally {
    h.dispose();
  }
  const outShape = s;
  // traceAxes ⊂ feature axes; diagonalAxes from the rest (axis 0 only when N1 = N2).
  const ar = rng(spec.axes + 17);
  const r = outShape.length;
  const traceAxes: number[] = [], diagonalAxes: number[] = [];
  const sameN = spec.n2 === null || spec.n2 === spec.n1;
  for (let i = 0; i < r; i++) {
    const u = ar();
    if (i > 0 && u < 0.3) traceAxes.push(ar() < 0.5 ? i - r : i);
    else if (u > 0.8 && (i > 0 || sameN)) diagonalAxes.push(i);
  }
  const compose = (useRef: boolean) => (p: Params, x: tf.Tensor | tf.Tensor[]) => {
    let y = x as tf.Tensor;
    for (const st of steps) y = (useRef && st.ref ? st.ref : st.fn)(p, y);
    return y;
  };
  const smooth = steps.every((st) => st.smooth !== false);
  // f returns its input unchanged (issue 11, bug 2).
  if (steps.length === 0) B.flags.add("identity");
  const code = [
    `// N1=${spec.n1} N2=${spec.n2 ?? "null (x2 = x1)"} x: ${js(xShape.slice(1))}${spec.tokens ? " int32" : ""}`,
    `// params: ${Object.entries(B.params).map(([n, d]) => `${n}${js(d.shape)}`).join(" ")}`,
    `// traceAxes ${js(traceAxes)} diagonalAxes ${js(diagonalAxes)} → output ${js(outShape.slice(1))}`,
    "const f = (p, x) => { let h = x;",
    ...steps.map((st) => "  " + st.code),
    "  return h; };",
  ].join("\n");
  const zeroSize = emptyInside || spec.n1 === 0 || spec.n2 === 0 || xShape.includes(0) || outShape.includes(0) ||
    Object.values(B.params).some((d) => d.shape.includes(0));
  return {
    spec,
    f: compose(false),
    ref: compose(true),
    code,
    params: B.params,
    x1Shape: [spec.n1, ...xShape.slice(1)],
    x2Shape: spec.n2 === null ? null : [spec.n2, ...xShape.slice(1)],
    inputDtype: spec.tokens ? "int32" : "float32",
    vocab,
    outShape,
    traceAxes,
    diagonalAxes,
    ops,
    modes: B.modes,
    viewUses: B.viewUses,
    direct: B.direct,
    flags: B.flags,
    uses: B.uses,
    smooth,
    zeroSize,
    rowsCoupled: steps.some((st) => st.rowsCoupled),
    maxRank,
    depth: spec.layers.length,
  };
}

/** Parameter values, deterministic in (seed, name): the same on every backend. */
export function materialize(decls: Record<string, ParamDecl>, seed: number): Params {
  const out: Params = {};
  let k = 0;
  for (const [name, d] of Object.entries(decls)) {
    const sd = seed * 1000 + 31 * ++k;
    out[name] = d.kind === "normal"
      ? randn(d.shape, sd, d.scale)
      : d.kind === "positive"
      ? awayFromZero(d.shape, 0.5, 1.5, sd, true)
      : awayFromZero(d.shape, 0.5, 1.5, sd);
  }
  return out;
}

/** Inputs x1 (and x2), deterministic in the seed. */
export function makeInputs(prog: Program): { x1: tf.Tensor; x2: tf.Tensor | null } {
  const mk = (shape: number[], sd: number) => {
    if (prog.inputDtype === "int32") {
      const r = rng(sd);
      return tf.tensor(Array.from({ length: prod(shape) }, () => Math.floor(r() * prog.vocab)), shape, "int32");
    }
    return randn(shape, sd);
  };
  return { x1: mk(prog.x1Shape, prog.spec.seed + 1), x2: prog.x2Shape ? mk(prog.x2Shape, prog.spec.seed + 2) : null };
}

const small = (max: number) => fc.integer({ min: 0, max });

/** fast-check arbitrary of layer specs; the op is weighted so each appears often enough. */
export const layerArb: fc.Arbitrary<LayerSpec> = fc.record({
  op: fc.constantFrom(...OPS),
  a: small(7),
  b: small(7),
  c: small(7),
  w: fc.oneof(
    { weight: 4, arbitrary: fc.constant<WeightMode>("fresh") },
    { weight: 6, arbitrary: fc.constantFrom<WeightMode>(...WEIGHT_MODES.slice(1)) },
  ),
});

export const programArb: fc.Arbitrary<ProgramSpec> = fc.record({
  n1: fc.oneof({ weight: 30, arbitrary: fc.integer({ min: 1, max: 3 }) }, { weight: 1, arbitrary: fc.constant(0) }),
  n2: fc.oneof(
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 2, arbitrary: fc.integer({ min: 1, max: 3 }) },
  ),
  feat: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }),
  tokens: fc.oneof({ weight: 8, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  layers: fc.array(layerArb, { minLength: 1, maxLength: 8 }),
  outRank: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constantFrom(7, 8) }),
  axes: fc.integer({ min: 0, max: 1000 }),
  seed: fc.integer({ min: 1, max: 100000 }),
});
