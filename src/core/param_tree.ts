/**
 * Parameters as trees: nested records and arrays of tensors, to any depth. The engine works on
 * one flat record keyed by each leaf's path (`encoder/blocks/0/kernel`); the public functions
 * flatten the caller's tree at their entry and hand `f` the caller's shape back.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { InvalidOptionError, ShapeMismatchError } from "./errors.ts";
import type { Tensor } from "./types.ts";

/**
 * Parameters of `f`: a tensor, or arrays and records of parameters, to any depth. A leaf is
 * named by its path, the keys and indices from the root joined by `/`: `encoder/blocks/0/kernel`.
 * A flat record of tensors is a tree whose paths are its keys (a key may hold `/`).
 */
export type ParamTree = Tensor | readonly ParamTree[] | { readonly [key: string]: ParamTree };
// (The public functions take any `P extends object` — an interface has no index signature, so it
// is no `ParamTree` to TypeScript — and check the leaves when called.)

/** A function of parameters (any tree), the input(s) and extra arguments, built from tfjs ops. */
export type TreeParamFn<P = Record<string, Tensor>, R extends unknown[] = []> = (
  params: P,
  x: Tensor | Tensor[],
  ...rest: R
) => Tensor | Tensor[];

/** A record that is data (not a tensor, not a class instance). */
function isPlainRecord(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Whether `tree` is a record whose every value is a tensor: its keys are already its paths. */
export function isFlatParams(tree: unknown): tree is Record<string, Tensor> {
  return isPlainRecord(tree) && Object.values(tree).every((v) => v instanceof tf.Tensor);
}

/** How a key reads in JavaScript after `parent`: `.name`, `[0]` or `["a/b"]`. */
function spell(parent: string, key: string | number): string {
  if (typeof key === "number") return `${parent}[${key}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}

/**
 * The leaves of a parameter tree in one flat record, keyed by path (`encoder/blocks/0/kernel`),
 * in the tree's order. A flat record of tensors is returned as it is.
 *
 * @param tree tensors in nested records and arrays (a `ParamTree`)
 * @param argument the name errors give the tree (`params`, `params0`)
 * @returns the leaves by path (the same tensors, not copies)
 * @throws {ShapeMismatchError} for a leaf that is not a tensor, naming its path
 * @throws {InvalidOptionError} when two leaves have the same path (`{ "a/b": t, a: { b: u } }`),
 *   naming both
 *
 * @example Usage
 * ```ts
 * // deno run --allow-read
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { flattenParams } from "@fast-ntk/fast-ntk";
 * const flat = flattenParams({ encoder: { blocks: [{ kernel: tf.zeros([2, 2]) }] }, head: tf.zeros([2]) });
 * assert.deepEqual(Object.keys(flat), ["encoder/blocks/0/kernel", "head"]);
 * ```
 */
export function flattenParams(tree: ParamTree | object, argument = "params"): Record<string, Tensor> {
  if (isFlatParams(tree)) return tree;
  const flat: Record<string, Tensor> = {};
  const spelled = new Map<string, string>();
  const visit = (node: unknown, path: string, js: string) => {
    if (node instanceof tf.Tensor) {
      const other = spelled.get(path);
      if (other !== undefined) {
        throw new InvalidOptionError(`${argument}: ${other} and ${js}`, path, ["leaves with distinct paths"]);
      }
      spelled.set(path, js);
      flat[path] = node;
    } else if (Array.isArray(node)) {
      node.forEach((child, i) => visit(child, path ? `${path}/${i}` : `${i}`, spell(js, i)));
    } else if (isPlainRecord(node)) {
      for (const [k, child] of Object.entries(node)) visit(child, path ? `${path}/${k}` : k, spell(js, k));
    } else {
      const got = node === null ? "null" : typeof node === "object" ? node.constructor?.name ?? "object" : typeof node;
      throw new ShapeMismatchError(
        `${argument}["${path}"]`,
        got,
        "expected a tf.Tensor (or a record or array of them)",
      );
    }
  };
  visit(tree, "", argument);
  return flat;
}

/**
 * The tree shaped like `like` whose leaves are `flat`'s tensors at the same paths: the inverse
 * of `flattenParams` (`unflattenParams(flattenParams(t), t)` has t's shape and tensors).
 *
 * @param flat tensors by path
 * @param like a tree of the wanted shape (a `ParamTree`; its leaves' values are not read)
 * @returns a new tree shaped like `like`
 * @throws {ShapeMismatchError} when `flat` lacks one of `like`'s paths, naming it
 *
 * @example Usage
 * ```ts
 * // deno run --allow-read
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { flattenParams, unflattenParams } from "@fast-ntk/fast-ntk";
 * const tree = { blocks: [tf.zeros([2]), tf.ones([2])] };
 * const flat = flattenParams(tree); // { "blocks/0": …, "blocks/1": … }
 * const back = unflattenParams({ ...flat, "blocks/1": tf.fill([2], 2) }, tree);
 * assert.deepEqual(back.blocks[1].dataSync(), new Float32Array([2, 2]));
 * ```
 */
export function unflattenParams<P extends object>(flat: Readonly<Record<string, Tensor>>, like: P): P {
  const build = (node: unknown, path: string): unknown => {
    if (Array.isArray(node)) return node.map((child, i) => build(child, path ? `${path}/${i}` : `${i}`));
    if (isPlainRecord(node)) {
      return Object.fromEntries(Object.entries(node).map(([k, c]) => [k, build(c, path ? `${path}/${k}` : k)]));
    }
    const t = flat[path];
    if (t === undefined) throw new ShapeMismatchError(`params["${path}"]`, "missing", "the tree has a leaf there");
    return t;
  };
  return build(like, "") as P;
}

/**
 * Set on a flat record (by the error explainer, on a Proxy): called with the path of each key
 * that f reads and the rebuilt tree lacks, so a missing leaf is named by its path.
 */
export const ON_MISSING: unique symbol = Symbol("fast-ntk: a parameter f reads is missing");

type Watchable = { [ON_MISSING]?: (path: string) => void };

/** `node` with each record and array watched: a key f reads that is not there goes to `report`. */
function watched<T>(node: T, path: string, report: ((path: string) => void) | undefined): T {
  if (!report || !(Array.isArray(node) || isPlainRecord(node))) return node;
  return new Proxy(node as object, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof key !== "string") return value;
      const at = path ? `${path}/${key}` : key;
      if (!(key in target)) report(at);
      return Object.hasOwn(target, key) ? watched(value, at, report) : value;
    },
  }) as T;
}

/**
 * The engine's `f(flat, x)` for one call of the caller's `f(tree, x, ...rest)`: it rebuilds the
 * caller's tree from the flat record it is given (same tensors) and passes `rest` untouched. A
 * flat record with no extra arguments gives `f` itself. What `f` carries (a model's `spec`) is
 * carried over.
 */
export function bindParams<P, R extends unknown[]>(
  f: TreeParamFn<P, R>,
  like: P,
  rest: R,
): TreeParamFn<Record<string, Tensor>> {
  const flatTree = isFlatParams(like);
  if (flatTree && rest.length === 0) return f as unknown as TreeParamFn<Record<string, Tensor>>;
  const g: TreeParamFn<Record<string, Tensor>> = flatTree
    ? (flat, x) => f(flat as P, x, ...rest)
    : (flat, x) =>
      f(watched(unflattenParams(flat, like as ParamTree), "", (flat as Watchable)[ON_MISSING]) as P, x, ...rest);
  const spec = (f as { spec?: unknown }).spec;
  return spec === undefined ? g : Object.assign(g, { spec });
}

/**
 * The caller's parameters as the engine takes them: a tree flattened (a flat record as it is);
 * what is no tree at all (null, a number) as it is, for the argument checks to name.
 */
export function flatParamsOf(params: unknown, argument = "params"): Record<string, Tensor> {
  const tree = isPlainRecord(params) || Array.isArray(params) || params instanceof tf.Tensor;
  return tree ? flattenParams(params as ParamTree, argument) : params as Record<string, Tensor>;
}

/**
 * The caller's parameters and extra arguments as the engine takes them: the flat record (the
 * caller's own when already flat) and `f` on it.
 */
export function flatCall<P, R extends unknown[]>(
  f: TreeParamFn<P, R>,
  params: P,
  rest: R,
): { flat: Record<string, Tensor>; fn: TreeParamFn<Record<string, Tensor>> } {
  const flat = flatParamsOf(params);
  return { flat, fn: bindParams(f, params, rest) };
}

/** A tree's shape without its tensors (each leaf `null`), as it crosses to a worker. */
export type ParamSkeleton = null | ParamSkeleton[] | { [key: string]: ParamSkeleton };

/** The shape of `tree`, its leaves `null`: `unflattenParams(flat, paramSkeleton(tree))` rebuilds it. */
export function paramSkeleton(tree: ParamTree): ParamSkeleton {
  if (Array.isArray(tree)) return tree.map(paramSkeleton);
  if (isPlainRecord(tree)) return Object.fromEntries(Object.entries(tree).map(([k, c]) => [k, paramSkeleton(c)]));
  return null;
}
