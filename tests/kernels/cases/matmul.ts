// Cases for matrix-product kernels.
import * as tf from "@tensorflow/tfjs";
import type { KernelCase } from "../_harness.ts";
import { randn } from "../../_data.ts";

export const CASES: KernelCase[] = [
  {
    kernel: "BatchMatMul",
    variant: "2-D",
    params: () => ({ a: randn([4, 3], 1), b: randn([3, 5], 2) }),
    fn: (p) => tf.matMul(p.a, p.b),
  },
  {
    kernel: "BatchMatMul",
    variant: "transposes",
    params: () => ({ a: randn([3, 4], 1), b: randn([5, 3], 2) }),
    fn: (p) => tf.matMul(p.a, p.b, true, true),
  },
  {
    kernel: "BatchMatMul",
    variant: "batched, broadcast rhs",
    params: () => ({ a: randn([2, 4, 3], 1), b: randn([3, 5], 2) }),
    fn: (p) => tf.matMul(p.a, p.b),
    // tfjs 4.22's BatchMatMul gradient fails for broadcast batch axes: broadcast explicitly.
    reference: (p) => tf.matMul(p.a, tf.broadcastTo(p.b, [2, 3, 5])),
  },
  {
    kernel: "BatchMatMul",
    variant: "broadcast lhs",
    params: () => ({ a: randn([4, 3], 1), b: randn([2, 3, 5], 2) }),
    fn: (p) => tf.matMul(p.a, p.b),
    reference: (p) => tf.matMul(tf.broadcastTo(p.a, [2, 4, 3]), p.b),
    noRows: true,
  },
  {
    kernel: "_FusedMatMul",
    variant: "bias + relu",
    params: () => ({ a: randn([4, 3], 1), b: randn([3, 6], 2), bias: randn([6], 3) }),
    fn: (p) => tf.fused.matMul({ a: p.a, b: p.b, bias: p.bias, activation: "relu" }),
  },
  {
    kernel: "_FusedMatMul",
    variant: "elu, transposeB",
    params: () => ({ a: randn([4, 3], 1), b: randn([6, 3], 2), bias: randn([6], 3) }),
    fn: (p) => tf.fused.matMul({ a: p.a, b: p.b, bias: p.bias, activation: "elu", transposeB: true }),
    // tfjs-wasm 4.22's _FusedMatMul with transposeB returns wrong values for this shape.
    backends: ["cpu", "webgpu"],
  },
  {
    kernel: "_FusedMatMul",
    variant: "sigmoid",
    params: () => ({ a: randn([4, 3], 1), b: randn([3, 6], 2) }),
    fn: (p) => tf.fused.matMul({ a: p.a, b: p.b, activation: "sigmoid" }),
  },
  {
    kernel: "_FusedMatMul",
    variant: "relu6",
    params: () => ({ a: randn([4, 3], 1, 3), b: randn([3, 6], 2) }),
    fn: (p) => tf.fused.matMul({ a: p.a, b: p.b, activation: "relu6" }),
  },
  {
    kernel: "_FusedMatMul",
    variant: "leakyrelu",
    params: () => ({ a: randn([4, 3], 1), b: randn([3, 6], 2) }),
    fn: (p) => tf.fused.matMul({ a: p.a, b: p.b, activation: "leakyrelu", leakyreluAlpha: 0.3 }),
  },
  {
    kernel: "_FusedMatMul",
    variant: "prelu",
    params: () => ({ a: randn([4, 3], 1), b: randn([3, 6], 2), alpha: randn([6], 4, 0.3) }),
    fn: (p) => tf.fused.matMul({ a: p.a, b: p.b, activation: "prelu", preluActivationWeights: p.alpha }),
  },
];
