import { fileURLToPath } from 'node:url';
import { DIGIT_NAMES } from '../data/mnist.ts';
import { FASHION_NAMES } from '../data/fashion-mnist.ts';
import { type DatasetId } from '../data/load-dataset.ts';

/** A shipped model: where its tfjs files are and what it classifies. */
export interface ZooEntry {
  readonly id: DatasetId;
  /** Absolute path of the tfjs model.json (resolved relative to this package). */
  readonly modelJson: string;
  readonly classNames: readonly string[];
  readonly summary: string;
}

function shipped(id: DatasetId): string {
  return fileURLToPath(new URL(`../../models/${id}/model.json`, import.meta.url));
}

/** The model zoo: ids are the datasets the models were trained on. */
export const ZOO: Readonly<Record<DatasetId, ZooEntry>> = {
  mnist: {
    id: 'mnist',
    modelJson: shipped('mnist'),
    classNames: DIGIT_NAMES,
    summary: "Carlini's MNIST CNN (312,202 parameters) trained on the embedded MNIST digits",
  },
  'fashion-mnist': {
    id: 'fashion-mnist',
    modelJson: shipped('fashion-mnist'),
    classNames: FASHION_NAMES,
    summary: "Carlini's MNIST CNN architecture trained on Fashion-MNIST's 60,000 training images",
  },
};

export function isZooId(s: string): s is DatasetId {
  return Object.hasOwn(ZOO, s);
}
