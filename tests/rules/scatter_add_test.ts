// scatter_add(v; indices, axis, shape): zeros of `shape` plus v's slices added at `indices`
// along `axis` (duplicates accumulate): out[pre, indices[j...], post] += v[pre, j..., post].
import {
  type Arr,
  at,
  intArr,
  numel,
  ravel,
  type RuleCase,
  ruleTests,
  toTensor,
  unravel,
  zerosArr,
} from "./_rule_harness.ts";

function scatterCase(shape: number[], indexShape: number[], axis: number, seed = 1): RuleCase<"scatter_add"> {
  const indices: Arr = intArr(indexShape, shape[axis], seed);
  const operand = [...shape.slice(0, axis), ...indexShape, ...shape.slice(axis + 1)];
  const k = indexShape.length;
  return {
    name: `[${operand}] into [${shape}] at [${indexShape}] indices along ${axis}`,
    in: [{ var: operand }],
    params: () => ({ indices: toTensor(indices, "int32"), axis, shape }),
    out: shape,
    oracle: ([v]) => {
      const out = zerosArr(shape);
      for (let f = 0; f < numel(operand); f++) {
        const i = unravel(f, operand);
        const to = [...i.slice(0, axis), at(indices, i.slice(axis, axis + k)), ...i.slice(axis + k)];
        out.data[ravel(to, shape)] += v.data[f];
      }
      return out;
    },
  };
}

ruleTests("scatter_add", [
  scatterCase([5, 3], [6], 0),
  scatterCase([4, 6], [2, 3], 1),
  scatterCase([3, 5, 2], [4, 2], 1),
  scatterCase([6, 2], [6, 2], 0, 3),
  scatterCase([2, 4, 1], [3], 2),
  scatterCase([5, 3], [], 0),
]);
