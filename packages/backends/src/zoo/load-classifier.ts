import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type Classifier, ModelLoadError, isDifferentiable } from '@mixnsqueeze/core';
import { type OnnxClassifierOptions } from '../onnx/onnx-classifier.ts';
import { type ExecutionProvider } from '../onnx/ort-session.ts';
import { type TfjsBackendName } from '../tfjs/backend.ts';
import { TfjsClassifier } from '../tfjs/tfjs-classifier.ts';
import { ZOO, type ZooEntry, isZooId } from './zoo.ts';

/** Options of {@link loadClassifier}; each applies to the kinds of model it names. */
export interface LoadClassifierOptions {
  /**
   * tfjs backend for zoo ids and model.json files. Naming one for a zoo id loads its tfjs files
   * instead of its ONNX export.
   */
  readonly backend?: TfjsBackendName;
  /** ONNX Runtime execution provider for .onnx files and zoo models run on ONNX Runtime ('cpu', 'cuda', 'webgpu'). */
  readonly executionProvider?: ExecutionProvider;
  /** Further options for `OnnxClassifier.load` (workers, threads, space). */
  readonly onnx?: OnnxClassifierOptions;
  /** Class names by index (default: from the model's metadata or the zoo entry). */
  readonly classNames?: readonly string[];
  /** Where the one-line backend notice goes (default stderr). */
  readonly log?: (line: string) => void;
}

/**
 * Loads a classifier by zoo id (`mnist`, `fashion-mnist`, `cifar10-resnet8`, ...), tfjs `model.json`
 * path or `.onnx` path. A zoo model that ships an ONNX export with a gradient graph runs on ONNX
 * Runtime unless a tfjs `backend` is named: its forward pass and input gradients are several times
 * the tfjs-wasm rate, and its max-pool gradient goes to the first maximum of a tied window as
 * TensorFlow's and PyTorch's do (tfjs-wasm's goes to the last). ONNX Runtime is imported only when
 * used: its native module costs startup time that tfjs-only users should not pay.
 */
export async function loadClassifier(idOrPath: string, options: LoadClassifierOptions = {}): Promise<Classifier> {
  const tfjsOptions = {
    ...(options.backend ? { backend: options.backend } : {}),
    ...(options.log ? { log: options.log } : {}),
  };
  if (isZooId(idOrPath)) {
    const entry = ZOO[idOrPath];
    const onnx = join(dirname(entry.modelJson), 'model.onnx');
    if (options.backend || !existsSync(onnx)) return TfjsClassifier.load(entry.modelJson, { ...tfjsOptions, classNames: options.classNames ?? entry.classNames });
    return loadZooOnnx(entry, onnx, options);
  }
  const classNames = options.classNames ? { classNames: options.classNames } : {};
  if (idOrPath.endsWith('.json')) return TfjsClassifier.load(idOrPath, { ...tfjsOptions, ...classNames });
  if (idOrPath.toLowerCase().endsWith('.onnx')) {
    if (!existsSync(idOrPath)) throw new ModelLoadError(`ONNX model '${idOrPath}' does not exist. Check the path.`);
    const { OnnxClassifier } = await import('../onnx/onnx-classifier.ts');
    return OnnxClassifier.load(idOrPath, {
      ...options.onnx,
      ...(options.executionProvider ? { executionProvider: options.executionProvider } : {}),
      ...classNames,
    });
  }
  throw new ModelLoadError(
    `model '${idOrPath}': expected a zoo id (${Object.keys(ZOO).join(', ')}), a tfjs model.json or an .onnx file.`,
  );
}

/**
 * A zoo model on ONNX Runtime. The ONNX graph knows its input shape only: the feature space
 * (bounds, tabular schema, layout) comes from the tfjs model's metadata, whose weights are then
 * released. Falls back to the tfjs model when the export has no gradient graph.
 */
async function loadZooOnnx(entry: ZooEntry, path: string, options: LoadClassifierOptions): Promise<Classifier> {
  const log = options.log ?? ((line: string) => void process.stderr.write(line));
  const classNames = options.classNames ?? entry.classNames;
  const tfjs = await TfjsClassifier.load(entry.modelJson, { classNames, log: () => {} });
  const { OnnxClassifier } = await import('../onnx/onnx-classifier.ts');
  const model = await OnnxClassifier.load(path, {
    ...options.onnx,
    ...(options.executionProvider ? { executionProvider: options.executionProvider } : {}),
    space: options.onnx?.space ?? tfjs.space,
    classNames,
  });
  if (!isDifferentiable(model)) {
    await model.close();
    log(`mixnsqueeze: ${entry.id}: the ONNX export has no gradient graph; using tfjs\n`);
    tfjs.dispose();
    return TfjsClassifier.load(entry.modelJson, { classNames, ...(options.log ? { log: options.log } : {}) });
  }
  tfjs.dispose();
  log(`mixnsqueeze: ${entry.id} on ONNX Runtime (${model.info.executionProvider}, ${model.info.workers} worker${model.info.workers === 1 ? '' : 's'}, gradient graph)\n`);
  return model;
}
