/**
 * Wraps a tfjs-layers model as `f(params, x)`: its trainable weights become named parameters,
 * substituted while the model runs (`LayerVariable.read` is shadowed for the call). The model is
 * never rebuilt or mutated, and its weights are untouched afterwards.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { ShapeMismatchError } from "../src/core/errors.ts";
import { type ParamFn, traceContext } from "./trace.ts";
import type { LayersModel, Tensor } from "../src/core/types.ts";
import { checkModelInputs, checkModelParams, type ParamFnSpec } from "../src/core/validate.ts";
import { flatParamsOf, type TreeParamFn } from "../src/core/param_tree.ts";

/** What the `params` option's predicate sees of each trainable weight. */
export interface WeightInfo {
  /**
   * The weight's layer-qualified name, e.g. `"dense_1/kernel"`: its key in `params`, and its
   * path in `paramTree` (`paramTree.dense_1.kernel`).
   */
  name: string;
  /** The name of the layer that owns it. */
  layer: string;
  /** The class of that layer, e.g. `"Dense"`. */
  className: string;
  /** The weight's shape. */
  shape: number[];
}

/** Options of `fromLayersModel`. */
export interface FromLayersModelOptions {
  /**
   * Which trainable weights are parameters of the NTK: paths — a weight's name
   * (`"dense_1/kernel"`) or the path of all its layer's weights (`"dense_1"`) — or a predicate.
   * The others, and all non-trainable weights, are constants. @default all trainable
   */
  params?: readonly string[] | ((w: WeightInfo) => boolean);
}

/** A model's parameters per layer: `{ [layer]: { [weight]: tensor } }` (a name without `/`: a tensor at the top). */
export type LayerParamTree = { [layer: string]: Tensor | { [weight: string]: Tensor } };

/** A layers model as a function of its parameters, with the parameters and the weights' descriptions. */
export interface LayersModelFn {
  /**
   * Runs the model with `params` substituted for its weights; inference mode. `params` may be
   * flat (`params`) or a tree per layer (`paramTree`). `f.spec` holds the model's inputs and
   * parameters, which the NTK functions check their arguments against before any work.
   */
  f: ParamFn & TreeParamFn<LayerParamTree> & { spec: ParamFnSpec };
  /** The selected trainable weights by layer-qualified name (the model's own variables). */
  params: Record<string, Tensor>;
  /**
   * The same weights as a tree per layer: `{ dense_1: { kernel, bias }, … }` (a name's part
   * before its first `/` is its layer); each leaf's path is its name in `params`.
   */
  paramTree: LayerParamTree;
  /** Every trainable weight, selected or not. */
  weights: WeightInfo[];
}

// deno-lint-ignore no-explicit-any
type AnyLayer = any;
// deno-lint-ignore no-explicit-any
type AnyVariable = any;

/** Every layer object reachable from the model: nested models, wrappers, RNN cells. */
function allLayers(root: AnyLayer): AnyLayer[] {
  const seen = new Set<AnyLayer>();
  const visit = (l: AnyLayer) => {
    if (!l || seen.has(l)) return;
    seen.add(l);
    for (const child of l.layers ?? []) visit(child);
    visit(l.layer); // TimeDistributed, Bidirectional's wrapped layer
    visit(l.forwardLayer);
    visit(l.backwardLayer);
    visit(l.cell); // RNN cells
    for (const c of l.cell?.cells ?? []) visit(c); // StackedRNNCells
  };
  for (const l of root.layers ?? []) visit(l);
  return [...seen];
}

/** The layer that owns each variable, for names and messages. */
function owners(model: tf.LayersModel): Map<AnyVariable, AnyLayer> {
  const m = new Map<AnyVariable, AnyLayer>();
  for (const l of allLayers(model)) for (const w of l.weights ?? []) if (!m.has(w)) m.set(w, l);
  return m;
}

/**
 * Wraps `model` for the NTK functions.
 * @param model a tfjs-layers model (built in code or loaded)
 * @param options which weights are parameters
 * @returns `{ f, params, weights }` — pass `f` to `empiricalNtkFn` and `params` to its calls
 * @throws {ShapeMismatchError} when `options.params` names a weight the model does not have; and
 *   from `f` (and the NTK functions, before any work), for inputs unlike `model.inputs` or
 *   parameters missing, extra, or shaped unlike the model's weights
 *
 * @example Usage
 * ```ts
 * // deno run --allow-read
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { empiricalNtkFn, fromLayersModel } from "@fast-ntk/fast-ntk";
 * const model = tf.sequential({
 *   layers: [tf.layers.dense({ units: 8, inputShape: [3], activation: "relu" }), tf.layers.dense({ units: 2 })],
 * });
 * const { f, params } = fromLayersModel(model);
 * assert.deepEqual(Object.keys(params).length, 4); // two kernels, two biases
 * const x = tf.randomNormal([4, 3]);
 * const k = await empiricalNtkFn(f)(x, null, params); // [4, 4]
 * assert.deepEqual(k.shape, [4, 4]);
 * // the same weights per layer ({ [layer]: { kernel, bias } }): f takes either form
 * const { paramTree } = fromLayersModel(model);
 * assert.equal(Object.keys(paramTree).length, 2);
 * const kTree = await empiricalNtkFn(f, { method: "jacobian" })(x, null, paramTree);
 * assert.ok(tf.max(tf.abs(tf.sub(kTree, k))).dataSync()[0] <= 1e-4 * tf.max(tf.abs(k)).dataSync()[0]);
 * ```
 */
export function fromLayersModel(model: LayersModel, options: FromLayersModelOptions = {}): LayersModelFn {
  const { names, weights } = nameWeights(model);
  const selected = new Set(selectWeights(weights, options.params).map((w) => w.name));
  const variables = [...names].filter(([, n]) => selected.has(n));
  const params: Record<string, tf.Tensor> = Object.fromEntries(variables.map(([lv, n]) => [n, lv.read()]));
  const layers = allLayers(model);
  // tfjs's CategoryEncoding overwrites its input's shape in place while the model is built
  // (computeOutputShape), so with one in the model the recorded input shapes are not the inputs'.
  const shapesKnown = !layers.some((l) => l.getClassName?.() === "CategoryEncoding");
  const spec: ParamFnSpec = {
    inputs: model.inputs.map((s) => ({ name: s.name, shape: shapesKnown ? [...s.shape] : null })),
    params: Object.fromEntries(variables.map(([lv, n]) => [n, [...lv.shape]])),
  };
  const f = ((tree, x) => {
    // Before any work: the arguments against the model (raw tfjs errors would quote shapes of
    // tensors made inside the model).
    if (tree === null || typeof tree !== "object") {
      throw new ShapeMismatchError("params", typeof tree, "expected an object of named tensors");
    }
    const p = flatParamsOf(tree);
    checkModelParams(p, spec);
    const xs = Array.isArray(x) ? x : [x];
    if (xs.some((t) => !(t instanceof tf.Tensor))) throw new ShapeMismatchError("x", typeof x, "expected tf.Tensor(s)");
    checkModelInputs(xs, "x", spec);
    const restoreWeights = swapWeights(variables, p);
    const restoreLayers = nameRunningLayers(layers);
    try {
      return model.apply(x, { training: false }) as tf.Tensor | tf.Tensor[];
    } finally {
      restoreWeights();
      restoreLayers();
    }
  }) as LayersModelFn["f"];
  f.spec = spec;
  return { f, params, paramTree: perLayer(params), weights };
}

/** Flat weights by name as a tree per layer (the part of a name before its first `/`). */
function perLayer(params: Record<string, Tensor>): LayerParamTree {
  const tree: LayerParamTree = {};
  const whole = new Set(Object.keys(params).filter((n) => !n.includes("/")));
  for (const [name, t] of Object.entries(params)) {
    const cut = name.indexOf("/");
    const layer = name.slice(0, cut);
    // A layer named like a weight without `/`: kept whole at the top (its path is its name still).
    if (cut < 0 || whole.has(layer)) tree[name] = t;
    else tree[layer] = { ...(tree[layer] as Record<string, Tensor>), [name.slice(cut + 1)]: t };
  }
  return tree;
}

/** Each trainable weight's unique name (its original name, `_1`, `_2` … on a clash) and info. */
function nameWeights(model: LayersModel): { names: Map<AnyVariable, string>; weights: WeightInfo[] } {
  const owner = owners(model);
  const names = new Map<AnyVariable, string>();
  const used = new Set<string>();
  const weights: WeightInfo[] = [];
  for (const lv of model.trainableWeights as AnyVariable[]) {
    let name = lv.originalName ?? lv.name;
    for (let i = 1; used.has(name); i++) name = `${lv.originalName ?? lv.name}_${i}`;
    used.add(name);
    names.set(lv, name);
    const layer = owner.get(lv);
    weights.push({ name, layer: layer?.name ?? "?", className: layer?.getClassName?.() ?? "?", shape: [...lv.shape] });
  }
  return { names, weights };
}

/** The weights `options.params` selects (all; those named, each of which must exist; or a predicate's). */
function selectWeights(weights: WeightInfo[], choose: FromLayersModelOptions["params"]): WeightInfo[] {
  if (choose === undefined) return weights;
  if (typeof choose === "function") return weights.filter((w) => choose(w));
  // A path selects the weight of that name, or every weight under it (a layer's: "dense_1").
  const under = (w: WeightInfo, path: string) => w.name === path || w.name.startsWith(`${path}/`);
  const missing = choose.filter((path) => !weights.some((w) => under(w, path)));
  if (missing.length) {
    throw new ShapeMismatchError(
      "options.params",
      missing,
      `no such trainable weight; the model has ${weights.map((w) => w.name).join(", ")}`,
    );
  }
  return weights.filter((w) => choose.some((path) => under(w, path)));
}

/** Makes each selected weight read the caller's tensor (shapes checked); returns the undo. */
function swapWeights(variables: [AnyVariable, string][], p: Record<string, tf.Tensor>): () => void {
  const swapped: AnyVariable[] = [];
  const restore = () => swapped.forEach((lv) => delete lv.read);
  try {
    for (const [lv, name] of variables) {
      const t = p[name];
      if (t.shape.length !== lv.shape.length || t.shape.some((s: number, i: number) => s !== lv.shape[i])) {
        throw new ShapeMismatchError(`params["${name}"]`, t.shape, `the weight has shape [${lv.shape}]`);
      }
      lv.read = () => t;
      swapped.push(lv);
    }
  } catch (e) {
    restore();
    throw e;
  }
  return restore;
}

/** Names the running layer in errors (unsupported kernels, shapes) while it runs; returns the undo. */
function nameRunningLayers(layers: AnyLayer[]): () => void {
  const wrapped: [AnyLayer, unknown][] = [];
  for (const l of layers) {
    const call = l.call;
    const own = Object.hasOwn(l, "call");
    l.call = function (...args: unknown[]) {
      const prev = traceContext.layer;
      traceContext.layer = `"${l.name}" (${l.getClassName?.() ?? "Layer"})`;
      try {
        return call.apply(this, args);
      } finally {
        traceContext.layer = prev;
      }
    };
    wrapped.push([l, own ? call : null]);
  }
  return () => wrapped.forEach(([l, own]) => (own ? (l.call = own) : delete l.call));
}
