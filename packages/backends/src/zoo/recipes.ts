import { type DatasetId } from '../data/load-dataset.ts';

/** How a zoo model is trained; `mixnsqueeze train <id>` uses these unless told otherwise. */
export interface TrainingRecipe {
  /** Training epochs. */
  readonly epochs: number;
  /** Samples per training step. */
  readonly batchSize: number;
  /** Initial learning rate of Adam. */
  readonly learningRate: number;
  /** Halve the learning rate every this many epochs (0: constant). */
  readonly decayEvery: number;
  /** Random translation of training images by up to this many pixels. */
  readonly shift: number;
  /** Seed of initialisation, shuffling and augmentation. */
  readonly seed: number;
}

/**
 * The recipes of the shipped models. Carlini trains 50 epochs of SGD + Nesterov; a 2-core machine
 * running tfjs-wasm trains about 100-200 images/s, so these use Adam with a halving schedule, and
 * for MNIST (8,000 embedded train digits) random 2-pixel shifts in place of more data.
 */
export const RECIPES: Record<DatasetId, TrainingRecipe> = {
  mnist: { epochs: 15, batchSize: 128, learningRate: 1e-3, decayEvery: 5, shift: 2, seed: 1 },
  'fashion-mnist': { epochs: 6, batchSize: 128, learningRate: 1e-3, decayEvery: 2, shift: 0, seed: 1 },
};
