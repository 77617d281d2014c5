/**
 * Shared checks for the linear primitive rules (rules/*.ts). Each rule test file lists cases
 * (operand shapes, params, and the primitive's definition written on plain JS arrays), and
 * `ruleTests` registers, per backend:
 *  1. the adjoint identity ⟨apply(t), c⟩ = Σ_slots ⟨t_slot, transpose(c, slot)⟩ per lead slice,
 *     with exact result shapes;
 *  2. apply against the plain-JS oracle;
 *  3. exampleAxis claims: an operand tangent that is zero outside row r gives an output that is
 *     zero outside row r;
 *  4. transposeExample (where defined) against masking the cotangent by row and transposing
 *     with one more lead axis;
 *  5. flops against a hand count (where the case gives one);
 *  6. the derivative's structure (src/core/structure.ts) per var slot: well formed, J̃ of the trimmed
 *     shape, and the dense derivative rebuilt from both equal to the rule's own apply on an
 *     identity basis (cpu and wasm);
 *  7. no leaked tensors around each case.
 * Rule calls run inside tf.tidy, as the engine (src/ntk/passes.ts) runs them.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import "../../src/core/backend.ts";
import type { Eqn, ExampleAxis, Operand, ParamsOf, PrimitiveName } from "../../src/core/ir.ts";
import { ruleOf } from "../../rules/mod.ts";
import {
  checkStructure,
  denseFromStructure,
  denseJacobian,
  type Structure,
  trimmedShape,
} from "../../src/core/structure.ts";
import type { ExampleRows } from "../../rules/_types.ts";
import { rng } from "../_data.ts";
import { relError } from "../_ref.ts";
import { NATIVE_IF_PRESENT } from "../_native.ts";

// ---- plain arrays: the oracle's side ----------------------------------------------------

/** A dense row-major array of float64 values (or int values, for indices). */
export interface Arr {
  shape: number[];
  data: Float64Array;
}

export const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export function stridesOf(shape: readonly number[]): number[] {
  const st = shape.map(() => 1);
  for (let i = shape.length - 2; i >= 0; i--) st[i] = st[i + 1] * shape[i + 1];
  return st;
}

export function unravel(flat: number, shape: readonly number[]): number[] {
  const idx = shape.map(() => 0);
  for (let i = shape.length - 1; i >= 0; i--) {
    idx[i] = flat % shape[i];
    flat = Math.floor(flat / shape[i]);
  }
  return idx;
}

export function ravel(idx: readonly number[], shape: readonly number[]): number {
  let flat = 0;
  for (let i = 0; i < shape.length; i++) flat = flat * shape[i] + idx[i];
  return flat;
}

/** The array whose entry at each index is `f(index)`. */
export function fromFn(shape: readonly number[], f: (idx: number[]) => number): Arr {
  const data = new Float64Array(numel(shape));
  for (let i = 0; i < data.length; i++) data[i] = f(unravel(i, shape));
  return { shape: [...shape], data };
}

export const at = (a: Arr, idx: readonly number[]): number => a.data[ravel(idx, a.shape)];
export const zerosArr = (shape: readonly number[]): Arr => ({
  shape: [...shape],
  data: new Float64Array(numel(shape)),
});

/** Standard normal values (seeded, Box–Muller), rounded to float32 so tfjs sees the same. */
export function randArr(shape: readonly number[], seed: number): Arr {
  const r = rng(seed);
  const data = new Float64Array(numel(shape));
  for (let i = 0; i < data.length; i++) {
    const u = Math.max(r(), 1e-12), w = r();
    data[i] = Math.fround(Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * w));
  }
  return { shape: [...shape], data };
}

/** Seeded integers in [0, max). */
export function intArr(shape: readonly number[], max: number, seed: number): Arr {
  const r = rng(seed);
  const data = new Float64Array(numel(shape));
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(r() * max);
  return { shape: [...shape], data };
}

/** Seeded values bounded away from zero: ±[0.5, 2), rounded to float32. */
export function awayArr(shape: readonly number[], seed: number): Arr {
  const r = rng(seed);
  const data = new Float64Array(numel(shape));
  for (let i = 0; i < data.length; i++) data[i] = Math.fround((r() < 0.5 ? -1 : 1) * (0.5 + 1.5 * r()));
  return { shape: [...shape], data };
}

/** Reads `a` at `idx` of a larger shape under numpy broadcasting (trailing axes aligned). */
export function atBroadcast(a: Arr, idx: readonly number[]): number {
  const off = idx.length - a.shape.length;
  return at(a, a.shape.map((s, k) => (s === 1 ? 0 : idx[off + k])));
}

export const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

export function toTensor(a: Arr, dtype: "float32" | "int32" | "bool" = "float32"): tf.Tensor {
  const d = dtype === "float32"
    ? Float32Array.from(a.data)
    : dtype === "int32"
    ? Int32Array.from(a.data)
    : Uint8Array.from(a.data);
  return tf.tensor(d, a.shape, dtype);
}

/** Lead slice `l` (flat over the lead axes) of an array `[...lead, ...rest]`. */
function leadSlice(a: Arr, lead: number, l: number): Arr {
  const rest = a.shape.slice(lead);
  const n = numel(rest);
  return { shape: rest, data: a.data.slice(l * n, (l + 1) * n) };
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>, from: number, n: number) => {
  let s = 0, abs = 0;
  for (let i = from; i < from + n; i++) {
    s += a[i] * b[i];
    abs += Math.abs(a[i] * b[i]);
  }
  return [s, abs];
};

const divisors = (n: number) => Array.from({ length: n }, (_, i) => i + 1).filter((d) => n % d === 0);

/** The row of position `i` along a row axis: floor(i / inner) % R. */
export const rowOf = (i: number, ex: ExampleAxis, count: number): number => Math.floor(i / ex.inner) % count;

// ---- cases ------------------------------------------------------------------------------

export type OperandSpec = { var: number[] } | { const: Arr };
export type Check = "adjoint" | "oracle" | "exampleAxis" | "transposeExample" | "flops" | "structure";

export interface RuleCase<P extends PrimitiveName> {
  /** What the case covers. */
  name: string;
  /** Operands: the shape of a var, or the value of a const. */
  in: OperandSpec[];
  /** The params; tensors in them are created on the current backend and disposed after use. */
  params: () => ParamsOf<P>;
  out: number[];
  /** The primitive's definition on plain values: var operands are tangents, consts values. */
  oracle: (ins: Arr[]) => Arr;
  /** The hand-counted FLOPs of apply over `basis` tangent vectors. */
  flops?: (basis: number) => number;
  /** Also run the adjoint and oracle checks on webgpu. */
  webgpu?: boolean;
  /**
   * Checks this case fails because of a bug, with what goes wrong; registered as ignored tests.
   * `"<check>"` covers every backend, `"<check>@<backend>"` one backend.
   */
  bugs?: Partial<Record<Check | `${Check}@${string}`, string>>;
}

const isVarSpec = (o: OperandSpec): o is { var: number[] } => "var" in o;
const varSlotsOf = (c: RuleCase<PrimitiveName>) => c.in.flatMap((o, s) => (isVarSpec(o) ? [s] : []));
const shapeOf = (o: OperandSpec) => (isVarSpec(o) ? o.var : o.const.shape);

function build<P extends PrimitiveName>(prim: P, c: RuleCase<P>): { eqn: Eqn<P>; owned: tf.Tensor[] } {
  const owned: tf.Tensor[] = [];
  const ins: Operand[] = c.in.map((o, s) => {
    if (isVarSpec(o)) return { var: { id: s + 1, shape: o.var, inputDependent: false } };
    const value = toTensor(o.const);
    owned.push(value);
    return { const: { value, inputDependent: false } };
  });
  const params = c.params();
  for (const v of Object.values(params as object)) if (v instanceof tf.Tensor) owned.push(v);
  const out = { id: 0, shape: c.out, inputDependent: false };
  return { eqn: { prim, in: ins, params, out, source: "test" }, owned };
}

/** Builds the equation, runs `body`, frees everything, and checks that no tensor leaked. */
async function withEqn<P extends PrimitiveName>(
  prim: P,
  c: RuleCase<P>,
  body: (eqn: Eqn<P>) => void | Promise<void>,
) {
  const before = tf.memory().numTensors;
  const { eqn, owned } = build(prim, c);
  try {
    await body(eqn);
  } finally {
    tf.dispose(owned);
    if (eqn.cache) tf.dispose([...eqn.cache.values()]);
  }
  assert.equal(tf.memory().numTensors, before, `${prim} [${c.name}]: tensors leaked`);
}

async function read(t: tf.Tensor): Promise<Float64Array> {
  return Float64Array.from(await t.data() as Float32Array);
}

/** Which var slots get a tangent: all of them, then (with several) each one alone. */
function arrangements(c: RuleCase<PrimitiveName>): boolean[][] {
  const slots = varSlotsOf(c);
  const all = c.in.map((_, s) => slots.includes(s));
  if (slots.length < 2) return [all];
  return [all, ...slots.map((v) => c.in.map((_, s) => s === v))];
}

const tolFor = (backend: string) => (backend === "webgpu" ? 1e-3 : 1e-4);
const LEADS: Record<string, number[][]> = {
  cpu: [[3], [2, 3], [1]],
  native: [[3], [2, 3], [1]],
  wasm: [[3], [2, 3], [1]],
  webgpu: [[2, 3]],
};

// ---- the checks -------------------------------------------------------------------------

/** Checks 1 and 2: shapes, the adjoint identity per lead slice, and apply against the oracle. */
async function checkApplyAndTranspose<P extends PrimitiveName>(
  prim: P,
  c: RuleCase<P>,
  backend: string,
  which: "adjoint" | "oracle",
) {
  const rule = ruleOf(prim);
  const tol = tolFor(backend);
  await withEqn(prim, c, async (eqn) => {
    for (const leadShape of LEADS[backend]) {
      const lead = leadShape.length, nLead = numel(leadShape);
      for (const live of arrangements(c)) {
        const label = `${prim} [${c.name}] on ${backend}, lead [${leadShape}], live slots [${live}]`;
        const tArrs = c.in.map((o, s) => (isVarSpec(o) && live[s] ? randArr([...leadShape, ...o.var], 10 + s) : null));
        const ts = tArrs.map((a) => a && toTensor(a));
        const y = tf.tidy(() => rule.apply(eqn, ts, lead));
        try {
          assert.ok(!ts.includes(y), `${label}: apply returned its input tensor`);
          assert.deepEqual(y.shape, [...leadShape, ...c.out], `${label}: apply's result shape`);
          const yData = await read(y);
          if (which === "oracle") {
            for (let l = 0; l < nLead; l++) {
              const ins = c.in.map((o, s) =>
                isVarSpec(o) ? (tArrs[s] ? leadSlice(tArrs[s]!, lead, l) : zerosArr(o.var)) : o.const
              );
              const want = c.oracle(ins);
              assert.deepEqual(want.shape, c.out, `${label}: the oracle's shape`);
              const got = yData.subarray(l * want.data.length, (l + 1) * want.data.length);
              const e = relError(got, want.data);
              assert.ok(e <= tol, `${label}: apply differs from the oracle at lead slice ${l}: rel error ${e}`);
            }
            continue;
          }
          const cArr = randArr([...leadShape, ...c.out], 99);
          const ct = toTensor(cArr);
          const n = numel(c.out);
          const lhs = Array.from({ length: nLead }, (_, l) => dot(yData, cArr.data, l * n, n));
          const rhs = lhs.map(() => [0, 0]);
          for (const s of varSlotsOf(c)) {
            const g = tf.tidy(() => rule.transpose(eqn, ct, lead, s));
            assert.ok(g !== ct, `${label}: transpose returned its input tensor`);
            assert.deepEqual(
              g.shape,
              [...leadShape, ...shapeOf(c.in[s])],
              `${label}: transpose's result shape (slot ${s})`,
            );
            const gData = await read(g);
            g.dispose();
            if (!tArrs[s]) continue;
            const m = numel(shapeOf(c.in[s]));
            for (let l = 0; l < nLead; l++) {
              const [v, abs] = dot(tArrs[s]!.data, gData, l * m, m);
              rhs[l][0] += v;
              rhs[l][1] += abs;
            }
          }
          ct.dispose();
          for (let l = 0; l < nLead; l++) {
            const scale = Math.max(lhs[l][1], rhs[l][1], 1e-30);
            const gap = Math.abs(lhs[l][0] - rhs[l][0]);
            assert.ok(
              gap <= tol * scale,
              `${label}: ⟨apply(t), c⟩ = ${lhs[l][0]} but Σ⟨t, transpose(c)⟩ = ${rhs[l][0]} at lead slice ${l}`,
            );
          }
        } finally {
          tf.dispose([y, ...ts.filter((t): t is tf.Tensor => t !== null)]);
        }
      }
    }
  });
}

/** Every way of putting rows on output axis `a` of size `n`: R dividing n, with outer/inner. */
function rowsOn(a: number, n: number): ExampleRows[] {
  return divisors(n).filter((r) => r > 1 || n === 1).flatMap((count) =>
    divisors(n / count).map((inner) => ({ count, out: { axis: a, outer: n / count / inner, inner } }))
  );
}

/** Check 3. Returns how many non-null claims were checked. */
async function checkExampleAxis<P extends PrimitiveName>(prim: P, c: RuleCase<P>, backend: string): Promise<number> {
  const rule = ruleOf(prim);
  let claims = 0;
  await withEqn(prim, c, async (eqn) => {
    for (const slot of varSlotsOf(c)) {
      const opShape = shapeOf(c.in[slot]);
      for (const [a, n] of c.out.entries()) {
        for (const rows of rowsOn(a, n)) {
          const tag = rule.exampleAxis(eqn, rows, slot);
          if (tag === null) continue;
          claims++;
          const R = rows.count;
          const label = `${prim} [${c.name}] on ${backend}, slot ${slot}, rows ${JSON.stringify(rows)} → ${
            JSON.stringify(tag)
          }`;
          assert.ok(Number.isInteger(tag.axis) && tag.axis >= 0 && tag.axis < opShape.length, `${label}: bad axis`);
          assert.equal(opShape[tag.axis], tag.outer * R * tag.inner, `${label}: operand axis size ≠ outer·R·inner`);
          // Lead slice r: a random tangent kept only on the operand entries of row r.
          const base = randArr([R, ...opShape], 7 + slot);
          const t = fromFn([R, ...opShape], (idx) => (rowOf(idx[1 + tag.axis], tag, R) === idx[0] ? at(base, idx) : 0));
          const tangents = c.in.map((_, s) => (s === slot ? toTensor(t) : null));
          const y = tf.tidy(() => rule.apply(eqn, tangents, 1));
          const yData = await read(y);
          tf.dispose([y, tangents[slot]!]);
          let maxAbs = 0;
          for (const v of yData) maxAbs = Math.max(maxAbs, Math.abs(v));
          for (let i = 0; i < yData.length; i++) {
            const idx = unravel(i, [R, ...c.out]);
            if (rowOf(idx[1 + a], rows.out, R) === idx[0]) continue;
            assert.ok(
              Math.abs(yData[i]) <= 1e-6 * maxAbs,
              `${label}: operand row ${idx[0]} reaches output entry [${idx.slice(1)}] of row ${
                rowOf(idx[1 + a], rows.out, R)
              }`,
            );
          }
        }
      }
    }
  });
  return claims;
}

/** Check 4, where exampleAxis returns null. Returns how many situations were checked. */
async function checkTransposeExample<P extends PrimitiveName>(
  prim: P,
  c: RuleCase<P>,
  backend: string,
): Promise<number> {
  const rule = ruleOf(prim);
  const tol = tolFor(backend);
  let checked = 0;
  await withEqn(prim, c, async (eqn) => {
    for (const slot of varSlotsOf(c)) {
      const opShape = shapeOf(c.in[slot]);
      for (const [a, n] of c.out.entries()) {
        for (const rows of rowsOn(a, n)) {
          if (rule.exampleAxis(eqn, rows, slot) !== null) continue;
          checked++;
          const R = rows.count;
          for (const leadShape of [[3], [2, 3]]) {
            const lead = leadShape.length;
            const label = `${prim} [${c.name}] on ${backend}, slot ${slot}, lead [${leadShape}], rows ${
              JSON.stringify(rows)
            }`;
            const ctArr = randArr([...leadShape, ...c.out], 5);
            // The cotangent masked by row, [...lead, R, ...out], built here: on wasm a rank-7
            // broadcast tf.mul is wrong (XNNPACK handles rank ≤ 6).
            const maskedArr = fromFn(
              [...leadShape, R, ...c.out],
              (idx) =>
                rowOf(idx[lead + 1 + a], rows.out, R) === idx[lead]
                  ? at(ctArr, [...idx.slice(0, lead), ...idx.slice(lead + 1)])
                  : 0,
            );
            const [ct, masked] = [toTensor(ctArr), toTensor(maskedArr)];
            const got = tf.tidy(() => rule.transposeExample!(eqn, ct, lead, slot, rows));
            const want = tf.tidy(() => rule.transpose(eqn, masked, lead + 1, slot));
            try {
              assert.deepEqual(got.shape, [...leadShape, R, ...opShape], `${label}: transposeExample's shape`);
              const e = relError(await read(got), await read(want));
              assert.ok(e <= tol, `${label}: transposeExample differs from the masked transpose: rel error ${e}`);
            } finally {
              tf.dispose([ct, masked, got, want]);
            }
          }
        }
      }
    }
  });
  return checked;
}

/**
 * `denseFromStructure`'s values. It multiplies at rank y + w with tf.mul, which tfjs-wasm 4.22
 * gets wrong from rank 7 (XNNPACK "status 4"; src/core/structure.ts should use src/core/tensor_ops.ts'
 * mulB): there, the rebuild runs on cpu from J̃'s values.
 */
async function rebuilt(s: Structure, jt: tf.Tensor, y: number[], w: number[], backend: string): Promise<Float64Array> {
  if (backend !== "wasm" || y.length + w.length <= 6) {
    const d = tf.tidy(() => denseFromStructure(s, jt, y, w));
    return await read(d).finally(() => d.dispose());
  }
  const copy = async (t: tf.Tensor) => ({ data: await t.data(), shape: t.shape, dtype: t.dtype });
  const [j, idx] = [await copy(jt), s.selection && await copy(s.selection.indices)];
  await tf.setBackend("cpu");
  try {
    const d = tf.tidy(() => {
      const selection = s.selection && { ...s.selection, indices: tf.tensor(idx!.data, idx!.shape, idx!.dtype) };
      return denseFromStructure({ ...s, selection }, tf.tensor(j.data, j.shape), y, w);
    });
    return await read(d).finally(() => d.dispose());
  } finally {
    await tf.setBackend(backend);
  }
}

/** Check 6, per var slot. */
async function checkStructureOf<P extends PrimitiveName>(prim: P, c: RuleCase<P>, backend: string) {
  const rule = ruleOf(prim);
  await withEqn(prim, c, async (eqn) => {
    for (const slot of varSlotsOf(c)) {
      const [y, w] = [c.out, shapeOf(c.in[slot])];
      const label = `${prim} [${c.name}] on ${backend}, slot ${slot}`;
      assert.ok(rule.structure && rule.jacobian, `${label}: the rule has no structure or jacobian`);
      const s = rule.structure(eqn, slot);
      checkStructure(prim, slot, s, y, w);
      // Outside tf.tidy: src/ntk/structured.ts calls it so, and the leak check then sees any
      // intermediate tensor left behind. J̃ is owned by the caller (the engine disposes it).
      const jt = rule.jacobian!(eqn, slot);
      const operands = [
        ...eqn.in.flatMap((o) => ("const" in o ? [o.const.value] : [])),
        ...Object.values(eqn.params as object).filter((v) => v instanceof tf.Tensor),
      ];
      assert.ok(!operands.includes(jt), `${label}: jacobian returned an operand`);
      assert.ok(![...(eqn.cache?.values() ?? [])].includes(jt), `${label}: jacobian returned a cached tensor`);
      const want = tf.tidy(() => denseJacobian(ruleOf(eqn.prim), eqn, slot));
      try {
        const shown = JSON.stringify({ ...s, selection: s.selection && { ...s.selection, indices: "…" } });
        assert.deepEqual(jt.shape, trimmedShape(s, y, w), `${label}: J̃'s shape for ${shown}`);
        const e = relError(await rebuilt(s, jt, y, w, backend), await read(want));
        assert.ok(e <= 1e-5, `${label}: the derivative rebuilt from ${shown} differs: rel error ${e}`);
      } finally {
        tf.dispose([jt, want]);
      }
    }
  });
}

async function checkFlops<P extends PrimitiveName>(prim: P, c: RuleCase<P>) {
  const rule = ruleOf(prim);
  await withEqn(prim, c, (eqn) => {
    for (const basis of [1, 7]) {
      assert.equal(rule.flops(eqn, basis), c.flops!(basis), `${prim} [${c.name}]: flops for basis ${basis}`);
    }
  });
}

// ---- registration -----------------------------------------------------------------------

/** RULE_TESTS_RUN_BUGS=1 runs the cases marked as known rule bugs instead of ignoring them. */
const RUN_BUGS = (() => {
  try {
    return Deno.env.get("RULE_TESTS_RUN_BUGS") === "1";
  } catch {
    return false;
  }
})();

/**
 * Registers the checks for one primitive's rule. A case whose `bugs` names a check runs in an
 * ignored test of its own, so that the rest stays green while the bug is open.
 */
export function ruleTests<P extends PrimitiveName>(prim: P, cases: RuleCase<P>[]): void {
  const rule = ruleOf(prim);
  const gpuCases = cases.some((c) => c.webgpu) ? cases.filter((c) => c.webgpu) : cases.slice(0, 1);
  const register = (
    check: Check,
    title: string,
    backend: string,
    pool: RuleCase<P>[],
    run: (c: RuleCase<P>) => Promise<number | void>,
    atLeastOne?: string,
  ) => {
    const name = `${prim} rule ${title} on ${backend}`;
    const bugOf = (c: RuleCase<P>) => c.bugs?.[`${check}@${backend}`] ?? c.bugs?.[check];
    const [open, buggy] = [pool.filter((c) => !bugOf(c)), pool.filter((c) => bugOf(c))];
    // With cases set aside as bugs, the rest need not exercise the check on their own.
    const vacuous = buggy.length ? undefined : atLeastOne;
    const fn = (list: RuleCase<P>[]) => async () => {
      assert.ok(await tf.setBackend(backend), `backend ${backend} unavailable`);
      let count = 0;
      for (const c of list) count += (await run(c)) ?? 0;
      if (vacuous && list.length) assert.ok(count > 0, `${name}: ${vacuous}`);
    };
    const opts = { sanitizeOps: false, sanitizeResources: false };
    if (open.length) Deno.test({ name, ...opts, fn: fn(open) });
    for (const c of buggy) {
      Deno.test({ name: `${name} [${c.name}] (BUG: ${bugOf(c)})`, ignore: !RUN_BUGS, ...opts, fn: fn([c]) });
    }
  };
  for (const b of ["cpu", ...NATIVE_IF_PRESENT, "wasm", "webgpu"]) {
    const pool = b === "webgpu" ? gpuCases : cases;
    register(
      "adjoint",
      "satisfies the adjoint identity",
      b,
      pool,
      (c) => checkApplyAndTranspose(prim, c, b, "adjoint"),
    );
    register(
      "oracle",
      "apply matches a direct computation",
      b,
      pool,
      (c) => checkApplyAndTranspose(prim, c, b, "oracle"),
    );
    if (b === "webgpu") continue;
    register(
      "exampleAxis",
      "keeps rows apart where exampleAxis claims so",
      b,
      cases,
      (c) => checkExampleAxis(prim, c, b),
      "no exampleAxis claim was exercised",
    );
    register("structure", "structure rebuilds the dense derivative", b, cases, (c) => checkStructureOf(prim, c, b));
    if (rule.transposeExample) {
      register(
        "transposeExample",
        "transposeExample equals the masked transpose",
        b,
        cases,
        (c) => checkTransposeExample(prim, c, b),
        "no case has exampleAxis null",
      );
    }
  }
  const counted = cases.filter((c) => c.flops);
  if (counted.length) register("flops", "flops match a hand count", "cpu", counted, (c) => checkFlops(prim, c));
}
