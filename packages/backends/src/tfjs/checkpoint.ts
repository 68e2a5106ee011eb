import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { FormatError, writeFileAtomic } from '@mixnsqueeze/core';

type NamedTensor = Awaited<ReturnType<tf.Optimizer['getWeights']>>[number];

/** What a training run records after each epoch; also the training log's history rows. */
export interface EpochRecord {
  /** Epoch number, from 1. */
  readonly epoch: number;
  /** Mean training loss (cross-entropy) over the epoch. */
  readonly loss: number;
  /** Accuracy on the training batches during the epoch, in [0, 1]. */
  readonly trainAccuracy: number;
  /** Accuracy on the held-out validation samples after the epoch, in [0, 1] (absent without a validation split). */
  readonly validationAccuracy?: number;
  /** Accuracy on the test set after the epoch, in [0, 1]. */
  readonly testAccuracy: number;
  /** Learning rate of the epoch's last step (Adam: the epoch's rate; Keras SGD decays per step). */
  readonly learningRate: number;
  /** Training images per second over the epoch's steps (evaluation excluded; summed over resumed sessions). */
  readonly imagesPerSecond: number;
  /** Wall-clock duration of the epoch including evaluation, in seconds (summed over resumed sessions). */
  readonly seconds: number;
}

/** The configuration a checkpoint belongs to: resuming under another one would mix two runs. */
export type RunConfig = Record<string, string | number | boolean>;

/**
 * Where a run stopped inside an epoch: everything needed to continue it exactly. The epoch's
 * shuffle and augmentation are re-derived from the seed and the epoch; the dropout generator is
 * replayed for `draws` values.
 */
export interface EpochPosition {
  /** The epoch in progress (history.length + 1). */
  readonly epoch: number;
  /** Training steps of this epoch already taken. */
  readonly step: number;
  /** Values drawn so far from the epoch's seeded Math.random (tfjs draws one per dropout mask). */
  readonly draws: number;
  /** Sum over the steps taken of batch loss x batch size. */
  readonly lossSum: number;
  /** Correct predictions on the training batches so far. */
  readonly correct: number;
  /** Seconds spent in this epoch's steps so far. */
  readonly trainSeconds: number;
}

/** What {@link Checkpoint.restore} returns. */
export interface RestoredRun {
  /** The completed epochs. */
  readonly history: EpochRecord[];
  /** Where the epoch in progress stopped, if the checkpoint was taken inside an epoch. */
  readonly position?: EpochPosition;
}

/** Version of the checkpoint layout below. */
const FORMAT = 2;

interface CheckpointState {
  readonly format: number;
  readonly config: RunConfig;
  readonly history: EpochRecord[];
  readonly position?: EpochPosition;
  /** Number of the tensors file `tensors-<generation>.bin` this state belongs to. */
  readonly generation: number;
  /** Manifest of the tensors file: model weights `model/<i>`, then optimizer weights `optimizer/<i>`. */
  readonly specs: tf.io.WeightsManifestEntry[];
  /** The optimizer's own names of its weights (iteration count first, then its slots), in order. */
  readonly optimizerNames: string[];
}

const tensorsFile = (generation: number): string => `tensors-${generation}.bin`;

/**
 * A training checkpoint directory: `tensors-<n>.bin` (the model's weights, then the optimizer's
 * state: iteration count and slots such as momentum velocities or Adam's moments) and state.json
 * (configuration, completed epochs, the position inside the epoch in progress, and the manifest).
 * A save writes a new tensors file and then state.json atomically, and only then deletes the older
 * tensors file: a run killed at any moment finds a state.json whose tensors are complete.
 */
export class Checkpoint {
  /** The checkpoint directory. */
  readonly dir: string;
  private generation = 0;
  constructor(dir: string) {
    this.dir = dir;
  }

  /** Saves model weights, optimizer state, history and (inside an epoch) the position. */
  async save(model: tf.LayersModel, optimizer: tf.Optimizer, config: RunConfig, history: EpochRecord[], position?: EpochPosition): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const optimizerWeights = await optimizer.getWeights();
    const named: NamedTensor[] = [
      ...model.getWeights().map((tensor, i) => ({ name: `model/${i}`, tensor })),
      ...optimizerWeights.map((w, i) => ({ name: `optimizer/${i}`, tensor: w.tensor })),
    ];
    const { data, specs } = await tf.io.encodeWeights(named);
    // The iteration count is a fresh scalar; the other tensors belong to the model and optimizer.
    optimizerWeights[0]?.tensor.dispose();
    const generation = this.generation + 1;
    await writeFileAtomic(join(this.dir, tensorsFile(generation)), new Uint8Array(tf.io.CompositeArrayBuffer.join(data)));
    const state: CheckpointState = {
      format: FORMAT,
      config,
      history,
      ...(position ? { position } : {}),
      generation,
      specs,
      optimizerNames: optimizerWeights.map((w) => w.name),
    };
    await writeFileAtomic(join(this.dir, 'state.json'), JSON.stringify(state, null, 1));
    this.generation = generation;
    for (const f of await readdir(this.dir)) {
      if (/^tensors-\d+\.bin$/.test(f) && f !== tensorsFile(generation)) await rm(join(this.dir, f), { force: true });
    }
  }

  /**
   * Restores model weights and optimizer state; returns the completed epochs and the position
   * inside the epoch in progress, or undefined when there is no checkpoint. A checkpoint of another
   * configuration (or of an older layout) is refused with a FormatError.
   */
  async restore(model: tf.LayersModel, optimizer: tf.Optimizer, config: RunConfig): Promise<RestoredRun | undefined> {
    const statePath = join(this.dir, 'state.json');
    if (!existsSync(statePath)) return undefined;
    const state = JSON.parse(await readFile(statePath, 'utf8')) as CheckpointState;
    if (state.format !== FORMAT) {
      throw new FormatError(`checkpoint '${this.dir}' has an older layout (format ${state.format ?? 1}, expected ${FORMAT}). Delete it or use another --out.`);
    }
    const keys = [...new Set([...Object.keys(config), ...Object.keys(state.config)])];
    const differs = keys.filter((k) => state.config[k] !== config[k]);
    if (differs.length > 0) {
      throw new FormatError(
        `checkpoint '${this.dir}' belongs to another run (${differs.map((k) => `${k}: ${state.config[k]} vs ${config[k]}`).join(', ')}). Use another --out or delete the checkpoint.`,
      );
    }
    const bytes = await readFile(join(this.dir, tensorsFile(state.generation)));
    const tensors = tf.io.decodeWeights(new Uint8Array(bytes).buffer, state.specs);
    const modelCount = model.weights.length;
    const modelWeights = Array.from({ length: modelCount }, (_, i) => tensors[`model/${i}`]);
    if (modelWeights.some((t) => t === undefined) || tensors[`model/${modelCount}`] !== undefined) {
      throw new FormatError(`checkpoint '${this.dir}' holds the weights of another model (expected ${modelCount} weight tensors). Use another --out or delete the checkpoint.`);
    }
    model.setWeights(modelWeights as tf.Tensor[]);
    await optimizer.setWeights(state.optimizerNames.map((name, i) => ({ name, tensor: tensors[`optimizer/${i}`]! })));
    // Model and optimizer variables hold their own references to the data.
    tf.dispose(Object.values(tensors));
    this.generation = state.generation;
    return { history: state.history, ...(state.position ? { position: state.position } : {}) };
  }
}
