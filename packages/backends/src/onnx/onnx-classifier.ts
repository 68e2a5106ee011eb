import { readFile } from 'node:fs/promises';
import onnxProto from 'onnx-proto';
import type { InferenceSession } from 'onnxruntime-node';
import { availableParallelism } from 'node:os';
import {
  type Batch,
  type Classifier,
  type DifferentiableClassifier,
  type FeatureSpace,
  FileAccessError,
  type SameDrawDifferentiable,
  ModelLoadError,
  ParameterError,
  ShapeError,
  checkShape,
  isMixnsqueezeError,
} from '@mixnsqueeze/core';
import { OnnxPoolRunner } from '../pool/onnx-pool-runner.ts';
import { type ForwardRunner, type GradientModel } from './forward-runner.ts';
import { buildGradientGraph } from './gradient/build-gradient-graph.ts';
import { UnsupportedOperatorError } from './gradient/unsupported-operator-error.ts';
import { InProcessRunner } from './in-process-runner.ts';
import { fromModelLayout, modelFeed, zeroFeed } from './model-feed.ts';
import { type InputLayout, type ModelSignature, modelSignature } from './model-signature.ts';
import { EXECUTION_PROVIDERS, type ExecutionProvider, createSession, loadOrt, modelLoadError, ortReason } from './ort-session.ts';

/** How `OnnxClassifier.load` runs a model: provider, threads, workers, space, gradients. */
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
  /**
   * Input gradients from a gradient graph built from the model (./gradient): 'auto' (default)
   * makes the classifier differentiable when every operator on the path to the logits has a
   * backward rule and logits-only otherwise; 'required' throws `UnsupportedOperatorError` then;
   * 'off' never builds it.
   */
  readonly gradients?: 'auto' | 'required' | 'off';
}

/** How a loaded ONNX classifier runs, for logs and reports. */
export interface OnnxModelInfo {
  /** The .onnx file. */
  readonly path: string;
  /** The graph input fed with the batch. */
  readonly inputName: string;
  /** The graph output read as logits. */
  readonly outputName: string;
  /** Memory layout the model takes; NHWC batches are transposed for 'nchw'. */
  readonly layout: InputLayout;
  /** The execution provider the sessions use. */
  readonly executionProvider: ExecutionProvider;
  /** Worker threads, one session each (1: a session in this thread). */
  readonly workers: number;
  /** Intra-op threads per session. */
  readonly intraOpThreads: number;
  /** 'exact' when the classifier is differentiable; otherwise why not ('off', or the unsupported operator). */
  readonly gradients: string;
}

function positiveInt(name: string, v: number | undefined, fallback: number): number {
  const n = v ?? fallback;
  if (!Number.isInteger(n) || n < 1) throw new ParameterError(`onnx: ${name} must be a positive integer, got ${v}.`);
  return n;
}

/**
 * A classifier backed by ONNX Runtime (onnxruntime-node). `load` returns a
 * `DifferentiableOnnxClassifier` when the model's gradient graph can be built (ORT computes no
 * gradients itself), else this logits-only class, which gradient attacks reach through
 * estimated-gradient surfaces; `info.gradients` says which and why. By default one session per
 * core runs in worker threads and large batches are sharded across them; `close()` releases
 * sessions and workers.
 */
export class OnnxClassifier implements Classifier {
  readonly space: FeatureSpace;
  readonly classes: number;
  readonly stochastic = false;
  readonly classNames?: readonly string[];
  /** How this model runs (provider, workers, layout, gradients), for logs and reports. */
  readonly info: OnnxModelInfo;
  protected readonly runner: ForwardRunner;
  protected readonly signature: ModelSignature;

  protected constructor(runner: ForwardRunner, signature: ModelSignature, info: OnnxModelInfo, classNames?: readonly string[]) {
    this.runner = runner;
    this.signature = signature;
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
    const wanted = options.gradients ?? 'auto';
    if (!['auto', 'required', 'off'].includes(wanted)) throw new ParameterError(`onnx: gradients must be 'auto', 'required' or 'off', got '${String(wanted)}'.`);
    const model = await readModel(path);
    checkModelProto(path, model);
    const { runner, inputs, outputs } = await startRunner(path, model, provider, workers, threads);
    try {
      const signature = await withClasses(runner, modelSignature(path, inputs, outputs, options.space), options.classes ?? options.classNames?.length, path);
      const { inputName, outputName, layout } = signature;
      const gradient = wanted === 'off' ? undefined : gradientModel(model, signature, wanted === 'required');
      const gradients = wanted === 'off' ? 'off' : typeof gradient === 'string' ? gradient : 'exact';
      const info = { path, executionProvider: provider, workers, intraOpThreads: threads, inputName, outputName, layout, gradients };
      return typeof gradient === 'object'
        ? new DifferentiableOnnxClassifier(runner, signature, info, gradient, options.classNames)
        : new OnnxClassifier(runner, signature, info, options.classNames);
    } catch (e) {
      await runner.close();
      throw isMixnsqueezeError(e) ? e : modelLoadError(path, e);
    }
  }

  async predict(x: Batch): Promise<Batch> {
    checkShape(this.space, x);
    const n = x.shape[0]!;
    if (n === 0) return { data: new Float32Array(0), shape: [0, this.classes] };
    const { data } = await this.runner.run(modelFeed(x, this.signature.layout), this.signature).catch((e: unknown) => this.runFailed(e));
    return { data, shape: [n, this.classes] };
  }

  protected runFailed(e: unknown): never {
    throw isMixnsqueezeError(e) ? e : new ModelLoadError(`onnx: running '${this.info.path}' failed: ${ortReason(e)}. Check that the input fits the model.`);
  }

  /** Releases the session(s) and terminates the workers. The classifier is unusable afterwards. */
  close(): Promise<void> {
    return this.runner.close();
  }

  /**
   * Loads a model that must be differentiable: as `load`, but an operator without a backward rule
   * is an `UnsupportedOperatorError` naming it and its node.
   */
  static async loadDifferentiable(path: string, options: Omit<OnnxClassifierOptions, 'gradients'> = {}): Promise<DifferentiableOnnxClassifier> {
    return (await OnnxClassifier.load(path, { ...options, gradients: 'required' })) as DifferentiableOnnxClassifier;
  }
}

/**
 * Most bytes one `vjpWith` call keeps between its forward and backward parts (the MNIST CNN keeps
 * 79 KB per image, so up to about 3,390 images); larger batches run `predict` then `vjp`, which
 * give the same values and keep nothing.
 */
const MAX_KEPT_BYTES = 256 * 2 ** 20;

/**
 * An ONNX classifier with exact input gradients: `vjp` runs the model's gradient graph (forward
 * and backward as plain ONNX operators) on the same sessions' workers, sharded like `predict`.
 * `vjpWith` runs the graph's forward part, hands the logits to the caller's seed function and
 * runs its backward part on the activations the workers kept: one forward pass per gradient step
 * instead of two (`predict`, then `vjp`), with the same logits and gradients bit for bit.
 */
export class DifferentiableOnnxClassifier extends OnnxClassifier implements DifferentiableClassifier, SameDrawDifferentiable {
  readonly gradientKind = 'exact';
  readonly #gradient: GradientModel;

  /** @internal Built by `OnnxClassifier.load`. */
  constructor(runner: ForwardRunner, signature: ModelSignature, info: OnnxModelInfo, gradient: GradientModel, classNames?: readonly string[]) {
    super(runner, signature, info, classNames);
    this.#gradient = gradient;
  }

  async vjp(x: Batch, dLogits: Batch): Promise<Batch> {
    checkShape(this.space, x, 'vjp');
    const n = x.shape[0]!;
    if (dLogits.shape.length !== 2 || dLogits.shape[0] !== n || dLogits.shape[1] !== this.classes) {
      throw new ShapeError(`vjp: expected dLogits of shape [${n}, ${this.classes}], got [${dLogits.shape.join(', ')}].`);
    }
    if (n === 0) return { data: new Float32Array(0), shape: x.shape };
    const sig = this.signature;
    const grad = await this.runner.gradient(modelFeed(x, sig.layout), dLogits.data, sig, this.#gradient).catch((e: unknown) => this.runFailed(e));
    return { data: fromModelLayout(grad, x.shape, sig.layout), shape: x.shape };
  }

  /**
   * Logits and the input gradient of a loss given by its logit seed, from one forward pass: the
   * forward part of the split gradient graph runs on the workers, which keep what its backward
   * part reads; `seedOf` gets all the logits at once; the backward part then runs on the same
   * workers, sharded as the forward part was. The model is deterministic, so this is what
   * `predict` then `vjp(x, seedOf(logits))` return, bit for bit, without the separate `predict`
   * (about 1.2x the gradient steps per second on the MNIST CNN; docs/onnx.md). Batches whose kept
   * tensors would exceed 256 MiB, and graphs that could not be split, run `predict` then `vjp`.
   * The kept tensors are dropped when the call ends, however it ends.
   */
  async vjpWith(x: Batch, seedOf: (logits: Batch) => Batch): Promise<{ logits: Batch; grad: Batch }> {
    checkShape(this.space, x, 'vjpWith');
    const n = x.shape[0]!;
    const k = this.classes;
    const split = this.#gradient.split;
    const perSample = this.#gradient.keptBytesPerSample;
    if (n === 0 || !split || (perSample ?? 0) * n > MAX_KEPT_BYTES) {
      const logits = await this.predict(x);
      return { logits, grad: await this.vjp(x, seedOf(logits)) };
    }
    const sig = this.signature;
    const pass = await this.runner.gradientPass(modelFeed(x, sig.layout), sig, this.#gradient).catch((e: unknown) => this.runFailed(e));
    try {
      const logits = { data: pass.logits, shape: [n, k] };
      const seed = seedOf(logits);
      if (seed.shape.length !== 2 || seed.shape[0] !== n || seed.shape[1] !== k || seed.data.length !== n * k) {
        throw new ShapeError(`vjpWith: expected a seed of shape [${n}, ${k}], got [${seed.shape.join(', ')}].`);
      }
      const grad = await pass.backward(seed.data).catch((e: unknown) => this.runFailed(e));
      return { logits, grad: { data: fromModelLayout(grad, x.shape, sig.layout), shape: x.shape } };
    } finally {
      await pass.release();
    }
  }
}

/**
 * The model's gradient graph in shared memory, or, when it is not required, why there is none:
 * a model that ORT runs stays usable for predictions whatever the builder thinks of it.
 */
function gradientModel(model: Uint8Array, sig: ModelSignature, required: boolean): GradientModel | string {
  try {
    const g = buildGradientGraph(model, { inputDims: sig.modelDims });
    const split = typeof g.split === 'string' ? undefined : g.split;
    return {
      bytes: shared(g.model),
      seedName: g.seedName,
      gradientName: g.gradientName,
      ...(split && {
        split: {
          forward: shared(split.forward),
          backward: shared(split.backward),
          logitsName: g.logitsName,
          seedName: g.seedName,
          gradientName: g.gradientName,
          kept: split.kept,
        },
        keptBytesPerSample: split.keptBytesPerSample,
      }),
    };
  } catch (e) {
    if (required) throw e;
    return e instanceof UnsupportedOperatorError ? e.message : `no gradient graph: ${(e as Error).message}`;
  }
}

function shared(bytes: Uint8Array): SharedArrayBuffer {
  const out = new SharedArrayBuffer(bytes.byteLength);
  new Uint8Array(out).set(bytes);
  return out;
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
  const gradient = (bytes: Uint8Array) => createSession(path, bytes, provider, threads);
  return { runner: new InProcessRunner(session, await loadOrt(), gradient), inputs: session.inputMetadata, outputs: session.outputMetadata };
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
