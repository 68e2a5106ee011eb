import { loadBuiltinDataset, type DatasetId } from '../data/load-dataset.ts';
import { type TfjsBackendName, useTfjsBackend } from '../tfjs/backend.ts';
import { type EpochPosition, type EpochRecord } from '../tfjs/checkpoint.ts';
import { mnistCnn } from '../tfjs/mnist-cnn.ts';
import { type TrainingLog, holdOut, trainModel } from '../tfjs/train.ts';
import { RECIPES } from './recipes.ts';

/** Options of {@link trainZooModel}; unset fields come from the dataset's recipe. */
export interface TrainZooModelOptions {
  /** Directory of the trained model, its log and its checkpoint. */
  readonly outDir: string;
  /** Epochs to train (default: the recipe's). */
  readonly epochs?: number;
  /** Training seed (default: the recipe's). */
  readonly seed?: number;
  /** tfjs backend to train on (default: the fastest available). */
  readonly backend?: TfjsBackendName;
  /** Directory of Fashion-MNIST's IDX files (default: the Debian package's). */
  readonly dataDir?: string;
  /** Checkpoint inside an epoch every this many minutes (default 5). */
  readonly checkpointMinutes?: number;
  /** Where the one-line backend notice goes (default stderr). */
  readonly log?: (line: string) => void;
  /** Progress after each training batch: epoch, batches done and total, current loss. */
  readonly onBatch?: (epoch: number, done: number, total: number, loss: number) => void;
  /** Called after each epoch with its record; `resumed` is true for epochs restored from the checkpoint. */
  readonly onEpoch?: (record: EpochRecord, resumed: boolean) => void;
  /** Called after a checkpoint inside an epoch, and once when a run resumes inside one. */
  readonly onCheckpoint?: (position: EpochPosition, steps: number, resumed: boolean) => void;
}

/**
 * Trains the zoo's CNN on a built-in dataset with its recipe (RECIPES), resumably: the recipe's
 * first `validation` training samples are held out and reported per epoch, with the test split.
 */
export async function trainZooModel(dataset: DatasetId, options: TrainZooModelOptions): Promise<TrainingLog> {
  const recipe = RECIPES[dataset];
  const backend = await useTfjsBackend(options.backend, options.log);
  const loadOptions = options.dataDir ? { dataDir: options.dataDir } : {};
  const all = await loadBuiltinDataset(dataset, { ...loadOptions, split: 'train' });
  const { train, validation } = recipe.validation > 0 ? holdOut(all, recipe.validation) : { train: all, validation: undefined };
  const test = await loadBuiltinDataset(dataset, { ...loadOptions, split: 'test' });
  const seed = options.seed ?? recipe.seed;
  const model = mnistCnn({ seed, classes: train.classNames?.length ?? 10 });
  // Saved in model.json, so the model keeps its class names when loaded by path.
  model.setUserDefinedMetadata({ mixnsqueeze: { dataset, classNames: train.classNames, bounds: [0, 1] } });
  try {
    return await trainModel(model, train, test, {
      dataset,
      epochs: options.epochs ?? recipe.epochs,
      seed,
      outDir: options.outDir,
      batchSize: recipe.batchSize,
      optimizer: recipe.optimizer,
      shift: recipe.shift,
      ...(validation ? { validation } : {}),
      ...(options.checkpointMinutes === undefined ? {} : { checkpointMinutes: options.checkpointMinutes }),
      backend,
      ...(options.onBatch ? { onBatch: options.onBatch } : {}),
      ...(options.onEpoch ? { onEpoch: options.onEpoch } : {}),
      ...(options.onCheckpoint ? { onCheckpoint: options.onCheckpoint } : {}),
    });
  } finally {
    model.dispose();
  }
}
