// select_and_scatter_add(v; positions, shape), the transpose of select_and_gather_add per
// src/ir.ts: entry j of batch row b of v is added to entry positions[b, j] of row b of
// zeros(shape) (flattened per row).
import { type Arr, at, intArr, numel, type RuleCase, ruleTests, toTensor, unravel, zerosArr } from "./_rule_harness.ts";

function selectScatterCase(
  shape: number[],
  perRowIn: number[],
  bugs?: RuleCase<"select_and_scatter_add">["bugs"],
): RuleCase<"select_and_scatter_add"> {
  const [b, ...perRow] = shape;
  const operand = [b, ...perRowIn];
  const positions: Arr = intArr(operand, numel(perRow), 2);
  return {
    name: `[${operand}] into [${shape}] at positions`,
    in: [{ var: operand }],
    params: () => ({ positions: toTensor(positions, "int32"), shape }),
    out: shape,
    oracle: ([v]) => {
      const out = zerosArr(shape);
      for (let f = 0; f < v.data.length; f++) {
        const i = unravel(f, operand);
        out.data[i[0] * numel(perRow) + at(positions, i)] += v.data[f];
      }
      return out;
    },
    bugs,
  };
}

// BUG: as for select_and_gather_add, positions are taken as whole-operand flat positions
// (rules/_select_gather.ts scatterFlat), not per batch row: with B > 1 every row lands in row 0.
const perRowBug = {
  oracle: "positions are read as whole-operand, not per-row, flat positions",
  exampleAxis: "rows > 0 land in row 0",
};

ruleTests("select_and_scatter_add", [
  selectScatterCase([1, 6], [3]),
  selectScatterCase([1, 4, 3], [2, 2]),
  selectScatterCase([2, 4, 3], [2, 3], perRowBug),
  selectScatterCase([3, 2, 2, 2], [2], perRowBug),
]);
