/**
 * Loading and saving tfjs-layers models on the file system from Deno (tfjs's own file handlers
 * live in tfjs-node), and from URLs. Reads both tfjs-saved artifacts and the Keras converter's
 * layout (a `modelTopology` holding `model_config`).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { ensureBackend } from "../src/core/backend.ts";
import type { LayersModel } from "../src/core/types.ts";

/** A model file that cannot be loaded. */
export class ModelLoadError extends Error {
  /** The class name, so that messages and logs say which error. */
  override name = "ModelLoadError";
}

function dirOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "." : path.slice(0, i) || "/";
}

function isUrl(s: string): boolean {
  return /^(https?|file):\/\//.test(s);
}

/** An IOHandler that reads `model.json` and its weight files from disk. */
export function fileLoader(modelJsonPath: string): tf.io.IOHandler {
  return {
    async load() {
      let json: tf.io.ModelJSON;
      try {
        json = JSON.parse(await Deno.readTextFile(modelJsonPath));
      } catch (e) {
        throw new ModelLoadError(`Cannot read model ${modelJsonPath}: ${(e as Error).message}`);
      }
      if (!json.modelTopology) {
        throw new ModelLoadError(`${modelJsonPath} has no modelTopology: not a tfjs layers model.json`);
      }
      const dir = dirOf(modelJsonPath);
      return await tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const buffers: ArrayBuffer[] = [];
        for (const group of manifest) {
          specs.push(...group.weights);
          for (const p of group.paths) {
            const file = `${dir}/${p}`;
            let bytes: Uint8Array;
            try {
              bytes = await Deno.readFile(file);
            } catch (e) {
              throw new ModelLoadError(`Cannot read weights ${file} of ${modelJsonPath}: ${(e as Error).message}`);
            }
            buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
          }
        }
        return [specs, tf.io.CompositeArrayBuffer.join(buffers)];
      });
    },
  };
}

/** An IOHandler that writes `model.json` and `weights.bin` into a directory. */
export function fileSaver(dir: string): tf.io.IOHandler {
  return {
    async save(art: tf.io.ModelArtifacts) {
      await Deno.mkdir(dir, { recursive: true });
      const data = art.weightData instanceof ArrayBuffer || art.weightData === undefined
        ? art.weightData
        : tf.io.CompositeArrayBuffer.join(art.weightData as ArrayBuffer[]);
      const json: tf.io.ModelJSON = {
        modelTopology: art.modelTopology as object,
        format: art.format,
        generatedBy: art.generatedBy,
        convertedBy: art.convertedBy,
        weightsManifest: [{ paths: ["weights.bin"], weights: art.weightSpecs ?? [] }],
        ...(art.trainingConfig ? { trainingConfig: art.trainingConfig } : {}),
        ...(art.userDefinedMetadata ? { userDefinedMetadata: art.userDefinedMetadata } : {}),
      };
      await Deno.writeTextFile(`${dir}/model.json`, JSON.stringify(json));
      await Deno.writeFile(`${dir}/weights.bin`, new Uint8Array(data ?? new ArrayBuffer(0)));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(art) };
    },
  };
}

/**
 * Loads a tfjs-layers model from a `model.json` path (its weight files beside it) or URL.
 * @throws {ModelLoadError} when the file is missing or not a layers model
 *
 * @example Usage
 * ```ts
 * // deno run --allow-read
 * import assert from "node:assert/strict";
 * import { loadModel } from "@fast-ntk/fast-ntk";
 * // the bundled example CNN (paths are relative to the working directory, a clone of fast-ntk)
 * const model = await loadModel("examples/cnn/model.json");
 * assert.deepEqual(model.inputs[0].shape, [null, 8, 8, 1]);
 * ```
 */
export async function loadModel(pathOrUrl: string): Promise<LayersModel> {
  await ensureBackend();
  try {
    return await tf.loadLayersModel(isUrl(pathOrUrl) ? pathOrUrl : fileLoader(pathOrUrl));
  } catch (e) {
    if (e instanceof ModelLoadError) throw e;
    throw new ModelLoadError(`Cannot load model ${pathOrUrl}: ${(e as Error).message}`);
  }
}

/** Saves a model as `dir/model.json` + `dir/weights.bin`. */
export async function saveModel(model: LayersModel, dir: string): Promise<void> {
  await model.save(fileSaver(dir));
}
