import { type ExperimentConfig, comparedWith } from '../experiment/config.ts';

/**
 * What differs from the paper's setup, printed in every report next to the comparison. Measured
 * differences are discussed in the README once a full run exists; nothing is tuned to match.
 */
export const FIDELITY_NOTES = `How to read this report: every number is this run's; the published value follows in brackets. Differences to expect, none of them tuned away:
the model is the paper's own: Carlini's CNN with the weights released with Feature Squeezing (converted to tfjs and ONNX, 99.43% on the official MNIST test set, docs/models.md), and the seeds and legitimate images come from the official test set in its official order, as in the paper;
the attacks are this project's TypeScript implementations of the reference code's algorithms and settings (see docs/attacks.md), and the adversarial examples are rounded to the 8-bit grid before they are evaluated, as EvadeML-Zoo does; He et al.'s detector threshold T is fitted on the first 1,000 legitimate test images at 5% false positives (the paper published T = 0.002915 for this model; both are reported);`;

/** The CIFAR-10 counterpart: what differs from the paper's CIFAR-10 rows. */
export const CIFAR10_FIDELITY_NOTES = `How to read this report: every number is this run's.
the model is MLPerf Tiny's ResNet-8 (cifar10-resnet8, 78k parameters, about 87% on the official test set by MLPerf's account, 19 of the 20 lossless test images 0-19 right), not the paper's DenseNet-40-12 (94.84% on the official test set), so accuracies under attack and the advantage curves belong to a different, weaker model;
the test set is named above: the JPEG CIFAR-10 test set is the official test set JPEG-compressed (quality about 75; errors up to about 70/255 per pixel, mean 5-8/255, the size of the attacks' L-inf budgets), on which the ResNet-8 gets 75.5% instead of its clean accuracy, and whose order is interleaved by class (the official order cannot be recovered from the folders), so seeds and legitimate images differ from the paper's;
the paper's CIFAR-10 accuracies are not recorded in this repository's reference (it gives the MNIST tables only), so no published value is printed next to these; the comparison that can be made is the operating point (delta 0.05), N = 50, and the shape of figures 8-9; nothing was tuned;
the attacks are this project's TypeScript implementations with the reference's CIFAR-10 settings (docs/attacks.md);`;

/** The ImageNet counterpart: what differs from the paper's ImageNet rows. */
export const IMAGENET_FIDELITY_NOTES = `How to read this report: every number is this run's; the paper's ImageNet rows are in the README ("ImageNet rows"), not printed here.
the model is TensorFlow's MobileNet v1 0.25 at 224 x 224 (imagenet-mobilenet-v1-025, converted from TFLite, 63.46% top-1 on the 1,300 validation images of the shared data), not the paper's MobileNet v1 1.0 (68.36% top-1), so accuracies under attack and the advantage belong to a different, weaker model;
the test set is named above: seeds and legitimate images are the first correctly classified (resp. first) images of its labels file, centre-cropped to 224 x 224 (docs/data.md), not the paper's images;
the attacks are this project's TypeScript implementations with the reference's ImageNet settings (docs/attacks.md), differentiated through the model's ONNX gradient graph; nothing was tuned;`;

/** For datasets the paper did not evaluate (Fashion-MNIST, the tabular and signal domains). */
export function unpublishedNotes(dataset: string, model: string): string {
  return `How to read this report: every number is this run's. The paper did not evaluate \`${dataset}\`, so no published value is printed and no comparison is made; the tables and figures follow the paper's layout so that this run can be read like its MNIST results;
the model is \`${model}\` (see docs/models.md and docs/domains.md for its training and test accuracy); the attacks are this project's implementations with the settings named in the configuration; nothing was tuned;`;
}

/** How fine this run's numbers are: the step one seed makes and the repetitions behind each mean. */
export function precisionNote(config: Pick<ExperimentConfig, 'seeds' | 'repetitions'>): string {
  const step = Number((100 / config.seeds).toFixed(2));
  return `this run attacks ${config.seeds} seeds, so one seed moves an adversarial accuracy by ${step} point${step === 1 ? '' : 's'}, and classifies every set R = ${config.repetitions} times; its attack settings are in the configuration below.`;
}

/**
 * The notes above name the shipped models; a run on a model of the user's own (`--model`) says so
 * instead of describing a model it did not use.
 */
function forModel(notes: string, shipped: string, model: string): string {
  if (model === shipped) return notes;
  const lines = notes.split('\n');
  const i = lines.findIndex((l) => l.startsWith('the model is '));
  lines[i] = `the model is \`${model}\`, not the shipped \`${shipped}\`: its architecture, training and robustness are the user's, so every difference from the paper starts there;`;
  return lines.join('\n');
}

/** The notes that fit a run's configuration. */
export function fidelityNotesFor(config: Pick<ExperimentConfig, 'paper' | 'dataset' | 'model' | 'seeds' | 'repetitions'>): string {
  const published = comparedWith(config);
  const notes =
    published === 'cifar10'
      ? forModel(CIFAR10_FIDELITY_NOTES, 'cifar10-resnet8', config.model)
      : published === 'imagenet'
        ? forModel(IMAGENET_FIDELITY_NOTES, 'imagenet-mobilenet-v1-025', config.model)
        : published === 'mnist'
        ? forModel(FIDELITY_NOTES, 'mnist', config.model)
        : unpublishedNotes(config.dataset, config.model);
  return `${notes}\n${precisionNote(config)}`;
}
