/**
 * A small CNN (3 conv layers, 16 channels, 3×3, ReLU; 8×8×3 input; global average pooling; a
 * dense head of O = 10), full NTK, N = 8: the three methods side by side.
 */
import * as tf from "@tensorflow/tfjs";
import { empiricalNtkFn, initBackend } from "../mod.ts";
import { randn } from "../tests/_data.ts";

const backend = await initBackend();
const N = 8;
const f = (p: Record<string, tf.Tensor>, x: tf.Tensor | tf.Tensor[]) => {
  let h = x as tf.Tensor4D;
  for (let l = 0; l < 3; l++) h = tf.relu(tf.conv2d(h, p[`k${l}`] as tf.Tensor4D, 1, "same"));
  return tf.matMul(tf.mean(h, [1, 2]), p.out);
};
const params: Record<string, tf.Tensor> = {
  k0: randn([3, 3, 3, 16], 1, 0.3),
  k1: randn([3, 3, 16, 16], 2, 0.1),
  k2: randn([3, 3, 16, 16], 3, 0.1),
  out: randn([16, 10], 4, 0.25),
};
const [x1, x2] = [randn([N, 8, 8, 3], 5), randn([N, 8, 8, 3], 6)];

for (const method of ["jacobian", "ntkvp", "structured"] as const) {
  const ntk = empiricalNtkFn(f, { method, traceAxes: [] });
  Deno.bench({
    name: `${method} CNN N=${N}`,
    group: `CNN 3×conv16 8×8×3 O=10 N=${N} (${backend})`,
    baseline: method === "jacobian",
    n: 5,
    warmup: 1,
    async fn() {
      const k = await ntk(x1, x2, params);
      await k.data();
      k.dispose();
    },
  });
}
