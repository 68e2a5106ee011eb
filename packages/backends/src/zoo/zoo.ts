import { fileURLToPath } from 'node:url';
import { CIFAR10_NAMES } from '../data/cifar10-binary.ts';
import { type DomainDatasetId } from '../data/domain-datasets.ts';
import { IMAGENET_NAMES } from '../data/imagenet-classes.ts';
import { DIGIT_NAMES } from '../data/mnist.ts';
import { PENGUIN_SPECIES } from '../data/penguins.ts';
import { WAVEFORM_CLASSES } from '../data/waveforms.ts';
import { FASHION_NAMES } from '../data/fashion-mnist.ts';

/** Ids of the shipped models. */
export const ZOO_IDS = ['mnist', 'fashion-mnist', 'cifar10-resnet8', 'imagenet-mobilenet-v1-025', 'penguins', 'waveforms'] as const;
/** Id of a shipped model. */
export type ZooId = (typeof ZOO_IDS)[number];

/** A shipped model: where its tfjs files are and what it classifies. */
export interface ZooEntry {
  /** The model's id. */
  readonly id: ZooId;
  /** The data it classifies: a built-in dataset id, or `cifar10` / `imagenet` (user-supplied files). */
  readonly dataset: 'mnist' | 'fashion-mnist' | 'cifar10' | 'imagenet' | DomainDatasetId;
  /** Absolute path of the tfjs model.json (resolved relative to this package); model.onnx lies beside it. */
  readonly modelJson: string;
  /** Class names by label. */
  readonly classNames: readonly string[];
  /** One-line description (architecture, accuracy). */
  readonly summary: string;
}

function shipped(id: ZooId): string {
  return fileURLToPath(new URL(`../../models/${id}/model.json`, import.meta.url));
}

/** The model zoo. The MNIST models are named after the dataset they were trained on. */
export const ZOO: Readonly<Record<ZooId, ZooEntry>> = {
  mnist: {
    id: 'mnist',
    dataset: 'mnist',
    modelJson: shipped('mnist'),
    classNames: DIGIT_NAMES,
    summary:
      "Carlini's MNIST CNN (312,202 parameters) with the weights released with Feature Squeezing (EvadeML-Zoo, MIT), converted from Keras with inputs in [0, 1]; 99.43% on the official test set",
  },
  'fashion-mnist': {
    id: 'fashion-mnist',
    dataset: 'fashion-mnist',
    modelJson: shipped('fashion-mnist'),
    classNames: FASHION_NAMES,
    summary: "Carlini's MNIST CNN architecture trained on Fashion-MNIST's 60,000 training images",
  },
  'cifar10-resnet8': {
    id: 'cifar10-resnet8',
    dataset: 'cifar10',
    modelJson: shipped('cifar10-resnet8'),
    classNames: CIFAR10_NAMES,
    summary: "MLPerf Tiny's ResNet-8 for CIFAR-10 (77,706 parameters, Apache-2.0), converted from Keras with inputs in [0, 1]",
  },
  'imagenet-mobilenet-v1-025': {
    id: 'imagenet-mobilenet-v1-025',
    dataset: 'imagenet',
    modelJson: shipped('imagenet-mobilenet-v1-025'),
    classNames: IMAGENET_NAMES,
    summary:
      "TensorFlow's MobileNet v1 0.25 at 224 x 224 (467,336 parameters, Apache-2.0), converted from TFLite with inputs in [0, 1] and the 1,000 ImageNet logits; about 50% top-1 on the full validation set",
  },
  penguins: {
    id: 'penguins',
    dataset: 'penguins',
    modelJson: shipped('penguins'),
    classNames: PENGUIN_SPECIES,
    summary: 'dense 9-16-3 network (211 parameters) on the Palmer penguins table of vega-datasets; tabular schema in its metadata',
  },
  waveforms: {
    id: 'waveforms',
    dataset: 'waveforms',
    modelJson: shipped('waveforms'),
    classNames: WAVEFORM_CLASSES,
    summary: '1-D CNN (772 parameters) on generated sine/square/sawtooth/triangle signals of 64 steps',
  },
};

/** Whether a string is the id of a shipped model. */
export function isZooId(s: string): s is ZooId {
  return Object.hasOwn(ZOO, s);
}
