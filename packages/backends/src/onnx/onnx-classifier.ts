import { readFile } from 'node:fs/promises';
import onnxProto from 'onnx-proto';
import type { InferenceSession } from 'onnxruntime-node';
import { availableParallelism } from 'node:os';
import {
  type Batch,
  type Classifier,
  type FeatureSpace,
  FileAccessError,
  ModelLoadError,
  ParameterError,
  ShapeError,
  checkShape,
  isMixnsqueezeError,
} from '@mixnsqueeze/core';
import { OnnxPoolRunner } from '../pool/onnx-pool-runner.ts';
import { type ForwardRunner } from './forward-runner.ts';
import { InProcessRunner } from './in-process-runner.ts';
import { modelFeed, zeroFeed } from './model-feed.ts';
import { type InputLayout, type ModelSignature, modelSignature } from './model-signature.ts';
import { EXECUTION_PROVIDERS, type ExecutionProvider, createSession, loadOrt, modelLoadError, ortReason } from './ort-session.ts';

export interface OnnxClassifierOptions {
  /** 'cpu' (default), or 'cuda' / 'webgpu' where this machine's onnxruntime-node can use them. */
  readonly executionProvider?: ExecutionProvider;
  /** Intra-op threads per session (default 1: parallelism comes from workers). */
  readonly intraOpThreads?: number;
  /**
   * Sessions in worker threads (default: one per core). 1 runs a single session in this thread.
   * GPU providers always use one in-process session.
   */
  readonly workers?: number;
  /** Input space; default: the model's input shape (NHWC for images) with bounds [0, 1]. */
  readonly space?: FeatureSpace;
  /** Number of classes, checked against the model's output. */
  readonly classes?: number;
  /** Human names of the classes, one per class. */
  readonly classNames?: readonly string[];
}

/** How a loaded ONNX classifier runs, for logs and reports. */
export interface OnnxModelInfo {
  readonly path: string;
  readonly inputName: string;
  readonly outputName: string;
  /** Memory layout the model takes; NHWC batches are transposed for 'nchw'. */
  readonly layout: InputLayout;
  readonly executionProvider: ExecutionProvider;
  readonly workers: number;
  readonly intraOpThreads: number;
}

function positiveInt(name: string, v: number | undefined, fallback: number): number {
  const n = v ?? fallback;
  if (!Number.isInteger(n) || n < 1) throw new ParameterError(`onnx: ${name} must be a positive integer, got ${v}.`);
  return n;
}

/**
 * A classifier backed by ONNX Runtime (onnxruntime-node). Logits only: ORT computes no gradients,
 * so this class has no `vjp` and `capabilitiesOf` reports ['logits']; gradient attacks reach it
 * through estimated-gradient surfaces. By default one session per core runs in worker threads
 * and large batches are sharded across them; `close()` releases sessions and workers.
 */
export class OnnxClassifier implements Classifier {
  readonly space: FeatureSpace;
  readonly classes: number;
  readonly stochastic = false;
  readonly classNames?: readonly string[];
  readonly info: OnnxModelInfo;
  readonly #runner: ForwardRunner;
  readonly #signature: ModelSignature;

  private constructor(runner: ForwardRunner, signature: ModelSignature, info: OnnxModelInfo, classNames?: readonly string[]) {
    this.#runner = runner;
    this.#signature = signature;
    this.space = signature.space;
    this.classes = signature.classes!;
    this.info = info;
    if (classNames) this.classNames = classNames;
  }

  /**
   * Loads an ONNX model. Throws `FileAccessError` (unreadable file), `ModelLoadError` (corrupt or
   * truncated file, a model with several or non-float inputs), `ShapeError` (a `space` or
   * `classes` that does not fit the model), `ExecutionProviderError` (provider unavailable).
   */
  static async load(path: string, options: OnnxClassifierOptions = {}): Promise<OnnxClassifier> {
    const provider = options.executionProvider ?? 'cpu';
    if (!EXECUTION_PROVIDERS.includes(provider)) {
      throw new ParameterError(`onnx: executionProvider must be one of ${EXECUTION_PROVIDERS.join(', ')}, got '${String(provider)}'.`);
    }
    const threads = positiveInt('intraOpThreads', options.intraOpThreads, 1);
    const workers = provider === 'cpu' ? positiveInt('workers', options.workers, availableParallelism()) : 1;
    const model = await readModel(path);
    checkModelProto(path, model);
    const { runner, inputs, outputs } = await startRunner(path, model, provider, workers, threads);
    try {
      const info = { path, executionProvider: provider, workers, intraOpThreads: threads };
      const signature = await withClasses(runner, modelSignature(path, inputs, outputs, options.space), options.classes ?? options.classNames?.length, path);
      const { inputName, outputName, layout } = signature;
      return new OnnxClassifier(runner, signature, { ...info, inputName, outputName, layout }, options.classNames);
    } catch (e) {
      await runner.close();
      throw isMixnsqueezeError(e) ? e : modelLoadError(path, e);
    }
  }

  async predict(x: Batch): Promise<Batch> {
    checkShape(this.space, x);
    const n = x.shape[0]!;
    if (n === 0) return { data: new Float32Array(0), shape: [0, this.classes] };
    const { data } = await this.#runner.run(modelFeed(x, this.#signature.layout), this.#signature).catch((e: unknown) => {
      throw isMixnsqueezeError(e) ? e : new ModelLoadError(`onnx: running '${this.info.path}' failed: ${ortReason(e)}. Check that the input fits the model.`);
    });
    return { data, shape: [n, this.classes] };
  }

  /** Releases the session(s) and terminates the workers. The classifier is unusable afterwards. */
  close(): Promise<void> {
    return this.#runner.close();
  }
}

/** A worker pool when workers > 1, else one session in this thread; with the model's metadata. */
async function startRunner(path: string, model: Uint8Array, provider: ExecutionProvider, workers: number, threads: number): Promise<{
  runner: ForwardRunner;
  inputs: readonly InferenceSession.ValueMetadata[];
  outputs: readonly InferenceSession.ValueMetadata[];
}> {
  if (workers > 1) {
    const { runner, info } = await OnnxPoolRunner.start(model, { workers, intraOpThreads: threads }).catch((e: unknown) => {
      throw isMixnsqueezeError(e) ? e : modelLoadError(path, e);
    });
    return { runner, ...info };
  }
  const session = await createSession(path, model, provider, threads);
  return { runner: new InProcessRunner(session, await loadOrt()), inputs: session.inputMetadata, outputs: session.outputMetadata };
}

async function readModel(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FileAccessError(code === 'ENOENT' ? `ONNX model '${path}' does not exist. Check the path.` : `cannot read ONNX model '${path}': ${code ?? (e as Error).message}.`);
  }
}

/**
 * Refuses bytes that do not decode as an ONNX ModelProto with a graph, in JavaScript, before any
 * native code sees them: ORT failing to parse a corrupt file inside pool workers (which are then
 * torn down) intermittently crashed the whole process.
 */
function checkModelProto(path: string, model: Uint8Array): void {
  let graph: unknown;
  try {
    graph = onnxProto.onnx.ModelProto.decode(model).graph;
  } catch (e) {
    throw modelLoadError(path, e);
  }
  if (!graph) throw modelLoadError(path, new Error('no graph in the ModelProto'));
}

/** Settles the number of classes: from the output's static shape, else by one probe run. */
async function withClasses(runner: ForwardRunner, sig: ModelSignature, wanted: number | undefined, path: string): Promise<ModelSignature> {
  const probe = sig.fixedBatch ?? 1;
  const classes = sig.classes ?? (await runner.run(zeroFeed(probe, sig.modelDims.reduce((a, b) => a * b, 1)), sig)).perSample;
  if (wanted !== undefined && wanted !== classes) {
    throw new ShapeError(`'${path}': the model outputs ${classes} values per sample, ${wanted} classes were expected. Pass the right model or classes.`);
  }
  return { ...sig, classes };
}
