import { existsSync } from 'node:fs';
import { type Classifier, ModelLoadError } from '@mixnsqueeze/core';
import { type OnnxClassifierOptions } from '../onnx/onnx-classifier.ts';
import { type ExecutionProvider } from '../onnx/ort-session.ts';
import { type TfjsBackendName } from '../tfjs/backend.ts';
import { TfjsClassifier } from '../tfjs/tfjs-classifier.ts';
import { ZOO, isZooId } from './zoo.ts';

/** Options of {@link loadClassifier}; each applies to the kinds of model it names. */
export interface LoadClassifierOptions {
  /** tfjs backend for zoo ids and model.json files. */
  readonly backend?: TfjsBackendName;
  /** ONNX Runtime execution provider for .onnx files ('cpu', 'cuda', 'webgpu'). */
  readonly executionProvider?: ExecutionProvider;
  /** Further options for `OnnxClassifier.load` (workers, threads, space). */
  readonly onnx?: OnnxClassifierOptions;
  /** Class names by index (default: from the model's metadata or the zoo entry). */
  readonly classNames?: readonly string[];
  /** Where the one-line backend notice goes (default stderr). */
  readonly log?: (line: string) => void;
}

/**
 * Loads a classifier by zoo id (`mnist`, `fashion-mnist`, `cifar10-resnet8`), tfjs `model.json` path or `.onnx` path.
 * ONNX Runtime is imported only when an .onnx file is asked for: its native module costs startup
 * time that tfjs-only users should not pay.
 */
export async function loadClassifier(idOrPath: string, options: LoadClassifierOptions = {}): Promise<Classifier> {
  const tfjsOptions = {
    ...(options.backend ? { backend: options.backend } : {}),
    ...(options.log ? { log: options.log } : {}),
  };
  if (isZooId(idOrPath)) {
    const entry = ZOO[idOrPath];
    return TfjsClassifier.load(entry.modelJson, { ...tfjsOptions, classNames: options.classNames ?? entry.classNames });
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
