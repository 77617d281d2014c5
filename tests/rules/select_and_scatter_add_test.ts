// select_and_scatter_add(v; positions, shape), the transpose of select_and_gather_add per
// src/core/ir.ts: entry j of v is added to entry positions[j] of the flattened zeros(shape); an
// entry of batch slot b only lands in slot b.
import {
  type Arr,
  at,
  fromFn,
  intArr,
  numel,
  type RuleCase,
  ruleTests,
  toTensor,
  unravel,
  zerosArr,
} from "./_rule_harness.ts";

function selectScatterCase(
  shape: number[],
  perRowIn: number[],
  bugs?: RuleCase<"select_and_scatter_add">["bugs"],
): RuleCase<"select_and_scatter_add"> {
  const [b, ...perRow] = shape;
  const operand = [b, ...perRowIn];
  const within: Arr = intArr(operand, numel(perRow), 2);
  const positions: Arr = fromFn(operand, (o) => o[0] * numel(perRow) + at(within, o));
  return {
    name: `[${operand}] into [${shape}] at positions`,
    in: [{ var: operand }],
    params: () => ({ positions: toTensor(positions, "int32"), shape }),
    out: shape,
    oracle: ([v]) => {
      const out = zerosArr(shape);
      for (let f = 0; f < v.data.length; f++) {
        const i = unravel(f, operand);
        out.data[at(positions, i)] += v.data[f];
      }
      return out;
    },
    bugs,
  };
}

ruleTests("select_and_scatter_add", [
  selectScatterCase([1, 6], [3]),
  selectScatterCase([1, 4, 3], [2, 2]),
  selectScatterCase([2, 4, 3], [2, 3]),
  selectScatterCase([3, 2, 2, 2], [2]),
]);
