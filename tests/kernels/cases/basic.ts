// Cases for the elementwise and shape kernels the engine core started with.
import * as tf from "@tensorflow/tfjs";
import type { KernelCase } from "../_harness.ts";
import { awayFromZero, randn } from "../../_data.ts";

export const CASES: KernelCase[] = [
  {
    kernel: "Add",
    variant: "broadcast",
    params: () => ({ a: randn([4, 3], 1), b: randn([3], 2) }),
    fn: (p) => tf.add(p.a, p.b),
  },
  { kernel: "Add", variant: "scalar const", params: () => ({ a: randn([4, 3], 1) }), fn: (p) => tf.add(p.a, 2) },
  {
    kernel: "Sub",
    variant: "broadcast both",
    params: () => ({ a: randn([4, 1], 1), b: randn([1, 3], 2) }),
    fn: (p) => tf.sub(p.a, p.b),
  },
  {
    kernel: "Multiply",
    variant: "broadcast",
    params: () => ({ a: randn([4, 3], 1), b: randn([4, 1], 2) }),
    fn: (p) => tf.mul(p.a, p.b),
  },
  {
    kernel: "Multiply",
    variant: "same input twice",
    params: () => ({ a: randn([4, 3], 1) }),
    fn: (p) => tf.mul(p.a, p.a),
  },
  {
    kernel: "RealDiv",
    params: () => ({ a: randn([4, 3], 1), b: awayFromZero([3], 0.5, 2, 2) }),
    fn: (p) => tf.div(p.a, p.b),
  },
  { kernel: "Neg", params: () => ({ a: randn([4, 3], 1) }), fn: (p) => tf.neg(p.a) },
  { kernel: "Relu", params: () => ({ a: randn([4, 3], 1) }), fn: (p) => tf.relu(p.a) },
  { kernel: "Tanh", params: () => ({ a: randn([4, 3], 1) }), fn: (p) => tf.tanh(p.a) },
  { kernel: "Sigmoid", params: () => ({ a: randn([4, 3], 1) }), fn: (p) => tf.sigmoid(p.a) },
  { kernel: "Identity", params: () => ({ a: randn([4, 3], 1) }), fn: (p) => tf.clone(p.a) },
  {
    kernel: "Cast",
    variant: "to float32",
    params: () => ({ a: randn([4, 3], 1) }),
    fn: (p) => tf.cast(p.a, "float32"),
  },
  // tfjs passes gradients straight through a cast to int32; so do we.
  { kernel: "Cast", variant: "to int32", params: () => ({ a: randn([4, 3], 1, 3) }), fn: (p) => tf.cast(p.a, "int32") },
  { kernel: "Reshape", params: () => ({ a: randn([4, 3, 2], 1) }), fn: (p) => tf.reshape(p.a, [4, 6]) },
  { kernel: "ExpandDims", params: () => ({ a: randn([4, 3], 1) }), fn: (p) => tf.expandDims(p.a, 1) },
  {
    kernel: "Transpose",
    params: () => ({ a: randn([4, 3, 2], 1) }),
    fn: (p) => tf.transpose(p.a, [2, 0, 1]),
    noRows: false,
  },
  { kernel: "Sum", variant: "axis 1", params: () => ({ a: randn([4, 3, 2], 1) }), fn: (p) => tf.sum(p.a, 1) },
  {
    kernel: "Sum",
    variant: "keepDims",
    params: () => ({ a: randn([4, 3, 2], 1) }),
    fn: (p) => tf.sum(p.a, [1, 2], true),
  },
  { kernel: "Mean", params: () => ({ a: randn([4, 3, 2], 1) }), fn: (p) => tf.mean(p.a, -1) },
];
