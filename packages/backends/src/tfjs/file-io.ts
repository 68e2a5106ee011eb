import * as tf from '@tensorflow/tfjs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { FileAccessError, ModelLoadError, writeFileAtomic } from '@mixnsqueeze/core';

/** File name of the weights written next to model.json. */
export const WEIGHTS_FILE = 'weights.bin';

async function readOrThrow(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ModelLoadError(
      code === 'ENOENT' ? `${what} '${path}' does not exist. Pass a zoo id (mnist, fashion-mnist, cifar10-resnet8) or a path to model.json / .onnx.` : `cannot read ${what} '${path}': ${code}.`,
    );
  }
}

function parseModelJson(text: string, path: string): tf.io.ModelJSON {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new ModelLoadError(`'${path}' is not valid JSON (corrupted or truncated). Restore the model files or retrain.`);
  }
  const m = doc as Partial<tf.io.ModelJSON>;
  if (typeof m !== 'object' || m === null || typeof m.modelTopology !== 'object' || !Array.isArray(m.weightsManifest)) {
    throw new ModelLoadError(`'${path}' is not a tfjs layers model.json (no modelTopology / weightsManifest). Pass a file saved by tfjs.`);
  }
  return m as tf.io.ModelJSON;
}

/**
 * A tf.io handler for a directory on disk: `model.json` plus the weight files its manifest names
 * (tfjs' own file:// handler exists only in tfjs-node). Loading checks that every weight file is
 * present and holds exactly the bytes its manifest declares, so a truncated model fails here with
 * a ModelLoadError instead of deep inside tfjs. Saving writes the weights first and model.json last,
 * each atomically, so a crash never leaves a model.json that points at missing weights.
 */
export function fileModelIo(modelJsonPath: string): tf.io.IOHandler {
  const dir = dirname(modelJsonPath);
  return {
    async load(): Promise<tf.io.ModelArtifacts> {
      const json = parseModelJson((await readOrThrow(modelJsonPath, 'model file')).toString('utf8'), modelJsonPath);
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs = tf.io.getWeightSpecs(manifest);
        const buffers: Uint8Array[] = [];
        for (const group of manifest) {
          for (const p of group.paths) buffers.push(await readOrThrow(join(dir, p), 'weight file'));
        }
        const total = buffers.reduce((s, b) => s + b.byteLength, 0);
        const need = specs.reduce((s, w) => s + weightBytes(w), 0);
        if (total !== need) {
          throw new ModelLoadError(
            `weights of '${modelJsonPath}': the manifest declares ${need} bytes, the files hold ${total} (truncated or corrupted). Restore the model files or retrain.`,
          );
        }
        const data = new Uint8Array(total);
        let at = 0;
        for (const b of buffers) {
          data.set(b, at);
          at += b.byteLength;
        }
        return [specs, data.buffer];
      });
    },
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      try {
        await mkdir(dir, { recursive: true });
      } catch (e) {
        throw new FileAccessError(`cannot create '${dir}': ${(e as NodeJS.ErrnoException).code}.`);
      }
      const weights = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData ?? new ArrayBuffer(0)));
      await writeFileAtomic(join(dir, WEIGHTS_FILE), weights);
      const json: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology as object,
        weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version_layers}`,
        convertedBy: artifacts.convertedBy ?? null,
        ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
        ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
      };
      await writeFileAtomic(modelJsonPath, JSON.stringify(json));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
  };
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, float16: 2, uint16: 2, complex64: 8 };

function weightBytes(w: tf.io.WeightsManifestEntry): number {
  const n = w.shape.reduce((a, b) => a * b, 1);
  const dtype = w.quantization?.dtype ?? w.dtype;
  return n * (DTYPE_BYTES[dtype] ?? 4);
}
