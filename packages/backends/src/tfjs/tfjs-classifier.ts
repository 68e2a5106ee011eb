import * as tf from '@tensorflow/tfjs';
import {
  type Batch,
  type DifferentiableClassifier,
  type FeatureSpace,
  type FeatureSpaceJson,
  ModelLoadError,
  ShapeError,
  checkShape,
  featureSpace,
  imageSpace,
  isMixnsqueezeError,
  makeBatch,
  sampleSize,
  spaceFromJson,
} from '@mixnsqueeze/core';
import { type TfjsBackendName, useTfjsBackend } from './backend.ts';
import { fileModelIo } from './file-io.ts';

/** Options of {@link TfjsClassifier} and its loaders; every field is optional. */
export interface TfjsClassifierOptions {
  /** Force a tfjs backend (default: the fastest available, chosen once per process). */
  readonly backend?: TfjsBackendName;
  /** Human class names (default: from the model's metadata, if any). */
  readonly classNames?: readonly string[];
  /** Feature bounds (default: the model's metadata, else [0, 1]). */
  readonly bounds?: readonly [number, number];
  /** Samples per forward/backward call into tfjs (default 500): bounds peak memory. */
  readonly batchSize?: number;
  /** Where the one-line backend notice goes (default stderr). */
  readonly log?: (line: string) => void;
}

/** What the project stores under `userDefinedMetadata.mixnsqueeze` in a model.json. */
export interface ModelMetadata {
  /** Class names by index. */
  readonly classNames?: readonly string[];
  /** Feature bounds the model was trained on. */
  readonly bounds?: readonly [number, number];
  /** Id of the dataset it was trained on. */
  readonly dataset?: string;
  /** The full input space (tabular schema, layout), for models outside images. */
  readonly space?: FeatureSpaceJson;
}

function spaceOf(model: tf.LayersModel, bounds: readonly [number, number]): FeatureSpace {
  const shape = model.inputs[0]!.shape.slice(1);
  if (shape.some((d) => d === null)) {
    throw new ModelLoadError(`tfjs model: input shape [${model.inputs[0]!.shape.join(', ')}] has free dimensions besides the batch; only fixed-size inputs are supported.`);
  }
  const s = shape as number[];
  return s.length === 3 && bounds[0] === 0 && bounds[1] === 1 ? imageSpace(s[0]!, s[1]!, s[2]!) : featureSpace(s, bounds);
}

/**
 * A tfjs layers model as a differentiable classifier: `predict` returns logits, `vjp(x, g)` the
 * input gradient of sum_i <g_i, logits(x_i)>. Work is done in chunks of `batchSize` samples, each
 * inside tf.tidy, so no tensor outlives a call.
 */
export class TfjsClassifier implements DifferentiableClassifier {
  readonly space: FeatureSpace;
  readonly classes: number;
  readonly stochastic = false;
  readonly classNames?: readonly string[];
  /** The underlying tfjs layers model. */
  readonly model: tf.LayersModel;
  readonly #batchSize: number;

  constructor(model: tf.LayersModel, options: TfjsClassifierOptions = {}) {
    const meta = (model.getUserDefinedMetadata() as { mixnsqueeze?: ModelMetadata } | undefined)?.mixnsqueeze ?? {};
    const out = model.outputs[0]!.shape;
    if (model.inputs.length !== 1 || model.outputs.length !== 1 || out.length !== 2 || out[1] === null) {
      throw new ModelLoadError('tfjs model: expected one input and one output of shape [N, classes] (logits).');
    }
    this.model = model;
    this.classes = out[1]!;
    this.space = meta.space && !options.bounds ? spaceFromJson(meta.space) : spaceOf(model, options.bounds ?? meta.bounds ?? [0, 1]);
    const names = options.classNames ?? meta.classNames;
    if (names !== undefined) {
      if (names.length !== this.classes) {
        throw new ModelLoadError(`tfjs model: ${names.length} class names for ${this.classes} classes. Give one name per class.`);
      }
      this.classNames = names;
    }
    this.#batchSize = Math.max(1, options.batchSize ?? 500);
  }

  /** Loads `model.json` + weights from disk; a missing, corrupted or truncated file is a ModelLoadError. */
  static async load(modelJsonPath: string, options: TfjsClassifierOptions = {}): Promise<TfjsClassifier> {
    await useTfjsBackend(options.backend, options.log);
    let model: tf.LayersModel;
    try {
      model = await tf.loadLayersModel(fileModelIo(modelJsonPath));
    } catch (e) {
      if (isMixnsqueezeError(e)) throw e;
      throw new ModelLoadError(`'${modelJsonPath}' is not a loadable tfjs layers model (${(e as Error).message.split('\n')[0]}). Restore the model files or retrain.`);
    }
    return new TfjsClassifier(model, options);
  }

  #check(x: Batch, what: string): void {
    checkShape(this.space, x, what);
  }

  async predict(x: Batch): Promise<Batch> {
    this.#check(x, 'predict');
    const n = x.shape[0]!;
    const per = sampleSize(x.shape);
    const out = new Float32Array(n * this.classes);
    for (let i = 0; i < n; i += this.#batchSize) {
      const m = Math.min(this.#batchSize, n - i);
      const logits = tf.tidy(() => this.model.predict(tf.tensor(x.data.subarray(i * per, (i + m) * per), [m, ...this.space.shape])) as tf.Tensor);
      try {
        out.set((await logits.data()) as Float32Array, i * this.classes);
      } finally {
        logits.dispose();
      }
    }
    return makeBatch(out, [n, this.classes]);
  }

  async vjp(x: Batch, dLogits: Batch): Promise<Batch> {
    this.#check(x, 'vjp');
    const n = x.shape[0]!;
    if (dLogits.shape.length !== 2 || dLogits.shape[0] !== n || dLogits.shape[1] !== this.classes) {
      throw new ShapeError(`vjp: expected dLogits of shape [${n}, ${this.classes}], got [${dLogits.shape.join(', ')}].`);
    }
    const per = sampleSize(x.shape);
    const out = new Float32Array(n * per);
    for (let i = 0; i < n; i += this.#batchSize) {
      const m = Math.min(this.#batchSize, n - i);
      const grad = tf.tidy(() => {
        const xs = tf.tensor(x.data.subarray(i * per, (i + m) * per), [m, ...this.space.shape]);
        const g = tf.tensor2d(dLogits.data.subarray(i * this.classes, (i + m) * this.classes), [m, this.classes]);
        return tf.grad((z: tf.Tensor) => tf.sum(tf.mul(this.model.apply(z, { training: false }) as tf.Tensor, g)))(xs);
      });
      try {
        out.set((await grad.data()) as Float32Array, i * per);
      } finally {
        grad.dispose();
      }
    }
    return makeBatch(out, x.shape);
  }

  /**
   * Logits and the gradient of a loss given by its logit seed in one forward pass: the seed is
   * computed from the logits while the tape records, where predict then vjp runs the forward pass
   * twice (a quarter of the cost of every step of an iterative attack). The seed callback sees all
   * logits at once, so batches above `batchSize` fall back to predict then vjp.
   */
  async vjpWith(x: Batch, seedOf: (logits: Batch) => Batch): Promise<{ logits: Batch; grad: Batch }> {
    this.#check(x, 'vjpWith');
    const n = x.shape[0]!;
    if (n > this.#batchSize) {
      const logits = await this.predict(x);
      return { logits, grad: await this.vjp(x, seedOf(logits)) };
    }
    const k = this.classes;
    let logits: Batch | undefined;
    // An exception thrown while the tape records leaks its tensors: keep it until the tape is done.
    let failure: { error: unknown } | undefined;
    const grad = tf.tidy(() =>
      tf.grad((z: tf.Tensor) => {
        const out = this.model.apply(z, { training: false }) as tf.Tensor;
        logits = makeBatch((out.dataSync() as Float32Array).slice(), [n, k]);
        let seed: Batch | undefined;
        try {
          seed = seedOf(logits);
          if (seed.shape.length !== 2 || seed.shape[0] !== n || seed.shape[1] !== k) {
            throw new ShapeError(`vjpWith: expected a seed of shape [${n}, ${k}], got [${seed.shape.join(', ')}].`);
          }
        } catch (error) {
          failure = { error };
        }
        return tf.sum(failure ? tf.mul(out, 0) : tf.mul(out, tf.tensor2d(seed!.data, [n, k])));
      })(tf.tensor(x.data, [n, ...this.space.shape])),
    );
    try {
      if (failure) throw failure.error;
      return { logits: logits!, grad: makeBatch((await grad.data()) as Float32Array, x.shape) };
    } finally {
      grad.dispose();
    }
  }

  /** Releases the model's weights. */
  dispose(): void {
    this.model.dispose();
  }
}
