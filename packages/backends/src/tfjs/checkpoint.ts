import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FormatError, writeFileAtomic } from '@mixnsqueeze/core';
import { fileModelIo } from './file-io.ts';

/** What a training run records after each epoch; also the training log's history rows. */
export interface EpochRecord {
  /** Epoch number, from 1. */
  readonly epoch: number;
  /** Mean training loss (cross-entropy) over the epoch. */
  readonly loss: number;
  /** Accuracy on the training batches during the epoch, in [0, 1]. */
  readonly trainAccuracy: number;
  /** Accuracy on the test set after the epoch, in [0, 1]. */
  readonly testAccuracy: number;
  /** Learning rate used during the epoch. */
  readonly learningRate: number;
  /** Wall-clock duration of the epoch, in seconds. */
  readonly seconds: number;
}

/** The configuration a checkpoint belongs to: resuming under another one would mix two runs. */
export type RunConfig = Record<string, string | number>;

interface CheckpointState {
  readonly config: RunConfig;
  readonly history: EpochRecord[];
  readonly optimizerSpecs: tf.io.WeightsManifestEntry[];
}

/**
 * A per-epoch checkpoint directory: model (model.json + weights.bin), the optimizer's slots
 * (optimizer.bin) and state.json. state.json is written last, atomically: it exists only for a
 * complete checkpoint, so a run killed mid-save resumes from the previous epoch.
 */
export class Checkpoint {
  /** The checkpoint directory. */
  readonly dir: string;
  constructor(dir: string) {
    this.dir = dir;
  }

  /** Saves model, optimizer slots and state (config and history), state.json last and atomically. */
  async save(model: tf.LayersModel, optimizer: tf.Optimizer, config: RunConfig, history: EpochRecord[]): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await model.save(fileModelIo(join(this.dir, 'model.json')));
    const { data, specs } = await tf.io.encodeWeights(await optimizer.getWeights());
    await writeFileAtomic(join(this.dir, 'optimizer.bin'), new Uint8Array(tf.io.CompositeArrayBuffer.join(data)));
    const state: CheckpointState = { config, history, optimizerSpecs: specs };
    await writeFileAtomic(join(this.dir, 'state.json'), JSON.stringify(state, null, 1));
  }

  /**
   * Restores model weights and optimizer slots; returns the history so far, or undefined when
   * there is no checkpoint. A checkpoint of another configuration is refused.
   */
  async restore(model: tf.LayersModel, optimizer: tf.Optimizer, config: RunConfig): Promise<EpochRecord[] | undefined> {
    const statePath = join(this.dir, 'state.json');
    if (!existsSync(statePath)) return undefined;
    const state = JSON.parse(await readFile(statePath, 'utf8')) as CheckpointState;
    const differs = Object.keys(config).filter((k) => state.config[k] !== config[k]);
    if (differs.length > 0) {
      throw new FormatError(
        `checkpoint '${this.dir}' belongs to another run (${differs.map((k) => `${k}: ${state.config[k]} vs ${config[k]}`).join(', ')}). Use another --out or delete the checkpoint.`,
      );
    }
    const saved = await tf.loadLayersModel(fileModelIo(join(this.dir, 'model.json')));
    model.setWeights(saved.getWeights());
    saved.dispose();
    const bytes = await readFile(join(this.dir, 'optimizer.bin'));
    const named = tf.io.decodeWeights(new Uint8Array(bytes).buffer, state.optimizerSpecs);
    await optimizer.setWeights(state.optimizerSpecs.map((s) => ({ name: s.name, tensor: named[s.name]! })));
    return state.history;
  }
}
