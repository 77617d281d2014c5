// Kernel cases of the elementwise family: unary and binary math, AddN, Select, and the
// kernels with a zero derivative.
import * as tf from "@tensorflow/tfjs";
import type { KernelCase, Params } from "../_harness.ts";
import { awayFromZero, randn, rng, uniform } from "../../_data.ts";

/** Uniform [lo, hi) values where every 4th entry is a tie value (kinks, bounds, a = b). */
function withTies(shape: number[], lo: number, hi: number, seed: number, ties: number[]): tf.Tensor {
  const r = rng(seed);
  const v = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < v.length; i++) v[i] = i % 4 === 0 ? ties[(i / 4) % ties.length] : lo + (hi - lo) * r();
  return tf.tensor(v, shape, "float32");
}

/** A unary kernel applied to one [4, 3] param. */
function unary(
  kernel: string,
  op: (x: tf.Tensor) => tf.Tensor,
  data: () => tf.Tensor,
  more: Partial<KernelCase> = {},
): KernelCase {
  return { kernel, params: () => ({ a: data() }), fn: (p) => op(p.a), ...more };
}

const S = [4, 3];
const normal = () => randn(S, 1);

/** For kernels tfjs registers no gradient for (tf.grads throws): a function with a zero gradient. */
const zeroRef = (p: Params) => tf.mul(Object.values(p).reduce((a, b) => tf.add(a, b)), 0);
const asFloat = (t: tf.Tensor) => tf.cast(t, "float32");

const UNARY: KernelCase[] = [
  unary("Abs", tf.abs, normal),
  // tfjs: Abs′ = step(x, −1), so −1 at 0.
  unary("Abs", tf.abs, () => withTies(S, -2, 2, 1, [0]), { variant: "ties at 0" }),
  unary("Acos", tf.acos, () => uniform(S, -0.9, 0.9, 1)),
  unary("Acosh", tf.acosh, () => uniform(S, 1.2, 3, 1)),
  unary("Asin", tf.asin, () => uniform(S, -0.9, 0.9, 1)),
  unary("Asinh", tf.asinh, normal),
  unary("Atan", tf.atan, normal),
  unary("Atanh", tf.atanh, () => uniform(S, -0.9, 0.9, 1)),
  unary("Cos", tf.cos, () => randn(S, 1, 2)),
  unary("Cosh", tf.cosh, normal),
  unary("Sin", tf.sin, () => randn(S, 1, 2)),
  unary("Sinh", tf.sinh, normal),
  unary("Tan", tf.tan, () => uniform(S, -1.2, 1.2, 1)),
  unary("Exp", tf.exp, normal),
  unary("Expm1", tf.expm1, normal),
  unary("Log", tf.log, () => uniform(S, 0.3, 3, 1)),
  unary("Log1p", tf.log1p, () => uniform(S, -0.6, 3, 1)),
  unary("Sqrt", tf.sqrt, () => uniform(S, 0.3, 3, 1)),
  unary("Rsqrt", tf.rsqrt, () => uniform(S, 0.3, 3, 1)),
  unary("Square", tf.square, normal),
  unary("Reciprocal", tf.reciprocal, () => awayFromZero(S, 0.5, 2, 1)),
  unary("Erf", tf.erf, normal),
  unary("Softplus", tf.softplus, () => randn(S, 1, 2)),
  unary("Selu", tf.selu, normal),
  unary("Selu", tf.selu, () => withTies(S, -2, 2, 1, [0]), { variant: "ties at 0" }),
  unary("Elu", tf.elu, normal),
  unary("Elu", tf.elu, () => withTies(S, -2, 2, 1, [0]), { variant: "ties at 0" }),
  unary("Relu6", tf.relu6, () => uniform(S, -3, 9, 1)),
  unary("Relu6", tf.relu6, () => withTies(S, -3, 9, 1, [0, 6]), { variant: "ties at 0 and 6" }),
  unary("LeakyRelu", (x) => tf.leakyRelu(x, 0.3), normal, { variant: "alpha 0.3" }),
  unary("LeakyRelu", (x) => tf.leakyRelu(x, -0.7), () => withTies(S, -2, 2, 1, [0]), {
    variant: "alpha -0.7, ties at 0",
  }),
  unary("ClipByValue", (x) => tf.clipByValue(x, -0.5, 0.8), normal),
  unary("ClipByValue", (x) => tf.clipByValue(x, -0.5, 0.8), () => withTies(S, -2, 2, 1, [-0.5, 0.8]), {
    variant: "ties at the bounds",
  }),
];

/**
 * A binary op three ways: both inputs params with broadcasting, only a, only b. `explicit`:
 * the tfjs reference broadcasts its inputs first, for kernels whose tfjs gradient does not sum
 * over broadcast axes (Maximum, Minimum, SquaredDifference), or returns dy itself as da (Mod),
 * which the harness's reference disposes with the gradients and then reuses as its cotangent.
 */
function binary(
  kernel: string,
  op: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor,
  a: (shape: number[]) => tf.Tensor,
  b: (shape: number[]) => tf.Tensor,
  explicit = false,
): KernelCase[] {
  const full = (t: tf.Tensor) => (explicit ? tf.broadcastTo(t, S) : t);
  const ref = (f: (p: Params) => tf.Tensor) => (explicit ? { reference: f } : {});
  return [
    {
      kernel,
      variant: "broadcast both",
      params: () => ({ a: a([4, 1]), b: b([3]) }),
      fn: (p) => op(p.a, p.b),
      ...ref((p) => op(full(p.a), full(p.b))),
    },
    {
      kernel,
      variant: "a only, b broadcast",
      params: () => ({ a: a(S) }),
      fn: (p) => op(p.a, b([3])),
      ...ref((p) => op(full(p.a), b([3]))),
    },
    {
      kernel,
      variant: "b only",
      params: () => ({ b: b(S) }),
      fn: (p) => op(a(S), p.b),
      ...ref((p) => op(a(S), full(p.b))),
    },
  ];
}

const BINARY: KernelCase[] = [
  // Prelu's alpha broadcasts to x (x has the output's shape).
  {
    kernel: "Prelu",
    variant: "alpha broadcast, both",
    params: () => ({ x: randn(S, 1), alpha: uniform([3], 0.05, 0.5, 2) }),
    fn: (p) => tf.prelu(p.x, p.alpha),
  },
  {
    kernel: "Prelu",
    variant: "x only",
    params: () => ({ x: randn(S, 1) }),
    fn: (p) => tf.prelu(p.x, uniform([3], 0.05, 0.5, 2)),
  },
  {
    kernel: "Prelu",
    variant: "alpha only",
    params: () => ({ alpha: uniform(S, 0.05, 0.5, 2) }),
    fn: (p) => tf.prelu(randn(S, 1), p.alpha),
  },
  {
    kernel: "Prelu",
    variant: "ties at 0, negative alpha",
    params: () => ({ x: withTies([4, 3, 2], -2, 2, 1, [0]), alpha: uniform([3, 1], -0.5, 0.5, 2) }),
    fn: (p) => tf.prelu(p.x, p.alpha),
  },
  ...binary("Pow", tf.pow, (s) => uniform(s, 0.5, 2, 1), (s) => randn(s, 2)),
  {
    kernel: "Pow",
    variant: "negative base, integer exponent",
    params: () => ({ a: randn(S, 1) }),
    fn: (p) => tf.pow(p.a, 3),
  },
  {
    // tfjs takes log(a) as 0 where a ≤ 0, so the exponent's tangent is dropped there.
    kernel: "Pow",
    variant: "negative base, integer-valued exponent param",
    params: () => ({ a: randn(S, 1), b: tf.tensor([2, 3, 1], [3]) }),
    fn: (p) => tf.pow(p.a, p.b),
  },
  ...binary("Maximum", tf.maximum, (s) => randn(s, 1), (s) => randn(s, 2), true),
  {
    kernel: "Maximum",
    variant: "ties (a wins)",
    params: () => ({ a: withTies(S, -1, 1, 1, [0.5]), b: withTies(S, -1, 1, 2, [0.5]) }),
    fn: (p) => tf.maximum(p.a, p.b),
  },
  ...binary("Minimum", tf.minimum, (s) => randn(s, 1), (s) => randn(s, 2), true),
  {
    kernel: "Minimum",
    variant: "ties (a wins)",
    params: () => ({ a: withTies(S, -1, 1, 1, [0.5]), b: withTies(S, -1, 1, 2, [0.5]) }),
    fn: (p) => tf.minimum(p.a, p.b),
  },
  ...binary("SquaredDifference", tf.squaredDifference, (s) => randn(s, 1), (s) => randn(s, 2), true),
  ...binary("Atan2", tf.atan2, (s) => randn(s, 1), (s) => awayFromZero(s, 0.3, 2, 2)),
  ...binary("Mod", tf.mod, (s) => randn(s, 1, 3), (s) => awayFromZero(s, 0.5, 2, 2), true),
  // tfjs differentiates FloorDiv like RealDiv (straight-through), and so do we.
  ...binary("FloorDiv", tf.floorDiv, (s) => randn(s, 1, 3), (s) => awayFromZero(s, 0.5, 2, 2)),
  {
    // int32 inputs carry a tangent through tfjs's straight-through Cast.
    kernel: "FloorDiv",
    variant: "int32 inputs",
    params: () => ({ a: randn(S, 1, 5), b: awayFromZero([3], 1.2, 4, 2) }),
    fn: (p) => asFloat(tf.floorDiv(tf.cast(p.a, "int32"), tf.cast(p.b, "int32"))),
  },
];

const NARY: KernelCase[] = [
  {
    kernel: "AddN",
    params: () => ({ a: randn(S, 1), b: randn(S, 2), c: randn(S, 3) }),
    fn: (p) => tf.addN([p.a, p.b, p.c]),
  },
  {
    kernel: "AddN",
    variant: "a const input",
    params: () => ({ a: randn(S, 1), c: randn(S, 3) }),
    fn: (p) => tf.addN([p.a, randn(S, 2), p.c]),
  },
  {
    kernel: "Select",
    // The condition depends on a param through GreaterEqual (tfjs has no gradient for Greater).
    variant: "both branches",
    params: () => ({ a: randn(S, 1), b: randn(S, 2) }),
    fn: (p) => tf.where(tf.greaterEqual(p.a, 0), p.a, p.b),
  },
  {
    kernel: "Select",
    variant: "then only, condition broadcast",
    params: () => ({ a: randn(S, 1) }),
    fn: (p) => tf.where(tf.greater(randn([3], 4), 0), p.a, randn(S, 2)),
  },
  {
    kernel: "Select",
    variant: "else only",
    params: () => ({ b: randn(S, 2) }),
    fn: (p) => tf.where(tf.greater(randn(S, 4), 0), randn(S, 1), p.b),
  },
  {
    // The Select kernel itself also takes a rank-1 condition that picks rows (tf.where always
    // broadcasts it first); tfjs's gradient does not handle that, so the reference broadcasts.
    kernel: "Select",
    variant: "rank-1 condition",
    params: () => ({ a: randn(S, 1), b: randn(S, 2) }),
    fn: (p) =>
      tf.engine().runKernel("Select", { condition: tf.greater(randn([4], 4), 0), t: p.a, e: p.b }) as tf.Tensor,
    reference: (p) => tf.where(tf.greater(randn([4, 1], 4), 0), p.a, p.b),
  },
];

/** A zero-derivative kernel: the output must carry no tangent. */
function zero(kernel: string, params: () => Params, fn: (p: Params) => tf.Tensor, noGrad = false): KernelCase {
  return { kernel, params, fn, zero: true, ...(noGrad ? { reference: zeroRef } : {}) };
}
const one = () => ({ a: randn(S, 1, 3) });
const two = () => ({ a: randn(S, 1), b: randn(S, 2) });

const ZERO: KernelCase[] = [
  zero("Step", one, (p) => tf.step(p.a, 0.3)),
  zero("Sign", one, (p) => tf.sign(p.a)),
  zero("Floor", one, (p) => tf.floor(p.a)),
  zero("Ceil", one, (p) => tf.ceil(p.a)),
  zero("Round", one, (p) => tf.round(p.a)),
  zero("IsNan", one, (p) => asFloat(tf.isNaN(p.a))),
  zero("IsInf", one, (p) => asFloat(tf.isInf(p.a))),
  zero("IsFinite", one, (p) => asFloat(tf.isFinite(p.a))),
  zero("GreaterEqual", two, (p) => asFloat(tf.greaterEqual(p.a, p.b))),
  zero("Equal", two, (p) => asFloat(tf.equal(p.a, p.b)), true),
  zero("NotEqual", two, (p) => asFloat(tf.notEqual(p.a, p.b)), true),
  zero("Greater", two, (p) => asFloat(tf.greater(p.a, p.b)), true),
  zero("Less", two, (p) => asFloat(tf.less(p.a, p.b)), true),
  zero("LessEqual", two, (p) => asFloat(tf.lessEqual(p.a, p.b)), true),
  // Logical kernels see a tangent only through a (straight-through) Cast to bool.
  zero("LogicalAnd", two, (p) => asFloat(tf.logicalAnd(tf.cast(p.a, "bool"), tf.cast(p.b, "bool"))), true),
  zero("LogicalOr", two, (p) => asFloat(tf.logicalOr(tf.cast(p.a, "bool"), tf.cast(p.b, "bool"))), true),
  zero("LogicalNot", one, (p) => asFloat(tf.logicalNot(tf.cast(p.a, "bool"))), true),
  zero("ArgMax", one, (p) => asFloat(tf.argMax(p.a, 1))),
  zero("ArgMin", one, (p) => asFloat(tf.argMin(p.a, 0))),
  zero("ZerosLike", one, (p) => tf.zerosLike(p.a)),
  zero("OnesLike", one, (p) => tf.onesLike(p.a)),
];

export const CASES: KernelCase[] = [...UNARY, ...BINARY, ...NARY, ...ZERO];
