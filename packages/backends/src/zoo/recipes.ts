import { type DatasetId } from '../data/load-dataset.ts';
import { type OptimizerSpec } from '../tfjs/optimizer-spec.ts';

/** How a zoo model is trained; `mixnsqueeze train <id>` uses these unless told otherwise. */
export interface TrainingRecipe {
  /** Training epochs. */
  readonly epochs: number;
  /** Samples per training step. */
  readonly batchSize: number;
  /** The optimizer and its learning-rate schedule. */
  readonly optimizer: OptimizerSpec;
  /** Random translation of training images by up to this many pixels (0: no augmentation). */
  readonly shift: number;
  /** The first this many training samples are held out as a validation set (0: none). */
  readonly validation: number;
  /** Seed of initialisation, shuffling, augmentation and dropout. */
  readonly seed: number;
}

/**
 * The recipes of `mixnsqueeze train`. Both train `mnistCnn()` (dropout 0.5 after dense1, active in
 * training only) on softmax cross-entropy of the logits, batch 128.
 *
 * `mnist` is Carlini's recipe (carlini/nn_robust_attacks, train_models.py and setup_mnist.py; the
 * same hyper-parameters are stored in the optimizer state of his released model):
 * `SGD(lr=0.01, decay=1e-6, momentum=0.9, nesterov=True)`, 50 epochs, batch 128, loss
 * `tf.nn.softmax_cross_entropy_with_logits(labels, logits / train_temp)` with train_temp = 1 (plain
 * softmax cross-entropy on logits, which Keras averages over the batch), `model.fit(...,
 * shuffle=True)` (Keras reshuffles every epoch: here a seeded shuffle per epoch), no augmentation,
 * and the first 5,000 of the 60,000 training digits held out as validation data (VALIDATION_SIZE),
 * the other 55,000 trained on. His inputs are pixel / 255 - 0.5; `mnistCnn()` takes [0, 1] and
 * subtracts 0.5 in its first layer, the same function.
 *
 * `fashion-mnist` is this project's recipe of the shipped Fashion-MNIST model: Adam 1e-3 halved
 * every 2 epochs, 6 epochs, all 60,000 training images, no validation split.
 */
export const RECIPES: Record<DatasetId, TrainingRecipe> = {
  mnist: {
    epochs: 50,
    batchSize: 128,
    optimizer: { kind: 'sgd', learningRate: 0.01, decay: 1e-6, momentum: 0.9, nesterov: true },
    shift: 0,
    validation: 5000,
    seed: 1,
  },
  'fashion-mnist': {
    epochs: 6,
    batchSize: 128,
    optimizer: { kind: 'adam', learningRate: 1e-3, halveEvery: 2 },
    shift: 0,
    validation: 0,
    seed: 1,
  },
};
