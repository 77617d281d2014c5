// dot_general(lhs, rhs; contract, batch): Σ over the contracted axes of lhs·rhs, aligned on the
// batch axes; output axes are batch, then lhs free, then rhs free. One operand is a var.
import { type Arr, at, fromFn, numel, randArr, range, type RuleCase, ruleTests, unravel } from "./_rule_harness.ts";

type Dims = [number[], number[]];

/** The definition by loops over the output and the contracted indices. */
function dotGeneral(lhs: Arr, rhs: Arr, contract: Dims, batch: Dims): Arr {
  const free = (a: Arr, k: 0 | 1) =>
    range(a.shape.length).filter((i) => !contract[k].includes(i) && !batch[k].includes(i));
  const [lf, rf] = [free(lhs, 0), free(rhs, 1)];
  const nb = batch[0].length;
  const out = [...batch[0].map((i) => lhs.shape[i]), ...lf.map((i) => lhs.shape[i]), ...rf.map((i) => rhs.shape[i])];
  const summed = contract[0].map((i) => lhs.shape[i]);
  return fromFn(out, (o) => {
    const li = lhs.shape.map(() => 0), ri = rhs.shape.map(() => 0);
    batch[0].forEach((a, k) => (li[a] = o[k]));
    batch[1].forEach((a, k) => (ri[a] = o[k]));
    lf.forEach((a, k) => (li[a] = o[nb + k]));
    rf.forEach((a, k) => (ri[a] = o[nb + lf.length + k]));
    let s = 0;
    for (let f = 0; f < numel(summed); f++) {
      const c = unravel(f, summed);
      contract[0].forEach((a, k) => (li[a] = c[k]));
      contract[1].forEach((a, k) => (ri[a] = c[k]));
      s += at(lhs, li) * at(rhs, ri);
    }
    return s;
  });
}

function dotCase(lhs: number[], rhs: number[], contract: Dims, batch: Dims, varSlot: 0 | 1): RuleCase<"dot_general"> {
  const c = randArr(varSlot === 0 ? rhs : lhs, 3);
  const out = dotGeneral(randArr(lhs, 1), randArr(rhs, 2), contract, batch).shape;
  return {
    name: `${varSlot === 0 ? "var" : "const"} [${lhs}] · ${varSlot === 0 ? "const" : "var"} [${rhs}], contract ${
      JSON.stringify(contract)
    }, batch ${JSON.stringify(batch)}`,
    in: varSlot === 0 ? [{ var: lhs }, { const: c }] : [{ const: c }, { var: rhs }],
    params: () => ({ contract, batch }),
    out,
    oracle: ([l, r]) => dotGeneral(l, r, contract, batch),
    // A multiply and an add per contracted entry, output entry and basis vector.
    flops: (basis) => 2 * basis * numel(out) * numel(contract[0].map((i) => lhs[i])),
    webgpu: varSlot === 1 && batch[0].length > 0,
  };
}

const none: Dims = [[], []];
ruleTests("dot_general", [
  dotCase([6, 3], [3, 4], [[1], [0]], none, 0),
  dotCase([6, 3], [3, 4], [[1], [0]], none, 1), // rows on the const's free axis: transposeExample
  dotCase([2, 6, 3], [2, 3, 4], [[2], [1]], [[0], [0]], 0),
  dotCase([2, 6, 3], [2, 3, 4], [[2], [1]], [[0], [0]], 1),
  dotCase([6, 2, 3], [3, 4, 2], [[2], [0]], [[1], [2]], 0), // batch axes not leading
  dotCase([6, 2, 3], [3, 4, 2], [[2], [0]], [[1], [2]], 1),
  dotCase([6, 3, 2], [2, 3, 4], [[1, 2], [1, 0]], none, 0), // two contracted axes, reordered
  dotCase([6, 3, 2], [2, 3, 4], [[1, 2], [1, 0]], none, 1),
  dotCase([2, 3, 4, 5], [3, 5, 2, 6], [[3], [1]], [[0, 1], [2, 0]], 0), // two batch axes, reordered
  dotCase([2, 3, 4, 5], [3, 5, 2, 6], [[3], [1]], [[0, 1], [2, 0]], 1),
  dotCase([4], [6], none, none, 1), // an outer product
  dotCase([3, 6], [3, 2], [[0], [0]], none, 1), // the const's free axis is not its first
  dotCase([6, 1], [1, 4], [[1], [0]], none, 0), // a size-1 contraction
  dotCase([1, 3], [3, 6], [[1], [0]], none, 0),
]);
