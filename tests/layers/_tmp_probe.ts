import * as tf from "@tensorflow/tfjs";
import "../../src/backend.ts";
await tf.setBackend("cpu");
const L = tf.layers;
for (const mk of [() => L.resizing({ height: 6, width: 3 }), () => L.centerCrop({ height: 6, width: 7 }), () => L.centerCrop({ height: 2, width: 3 })]) {
  const m = tf.sequential({ layers: [L.inputLayer({ inputShape: [4, 5, 2] }), mk()] });
  try { console.log(m.predict(tf.ones([2, 4, 5, 2])).shape); } catch (e) { console.log("predict", String(e)); }
  try { console.log((m.apply(tf.ones([2, 4, 5, 2])) as tf.Tensor).shape); } catch (e) { console.log("apply", String(e)); }
  try { console.log((m.layers[0].apply(tf.ones([2, 4, 5, 2])) as tf.Tensor).shape); } catch (e) { console.log("layer apply", String(e)); }
}
