import { type Batch, type Classifier, type FeatureSpace, LinearClassifier, argmaxRows, featureSpace, sampleSize } from '@mixnsqueeze/core';
import { TwoLayer } from './tiny-models.ts';

/** Tabular space of the tiny models: 12 features in [0, 1], 4 classes. */
export const TABULAR = featureSpace([12]);
export const CLASSES = 4;

/** logits = W x + b with fixed pseudo-random weights in [-4, 4]. */
export function linearModel(space: FeatureSpace = TABULAR): LinearClassifier {
  const d = sampleSize([0, ...space.shape]);
  const w = Float64Array.from({ length: CLASSES * d }, (_, i) => 4 * Math.sin(i * 12.9898 + 78.233) * Math.cos(i * 4.1414 + 1));
  return new LinearClassifier(space, w, Float64Array.from({ length: CLASSES }, (_, c) => 0.1 * (c - 1.5)));
}

/** The 2-layer tanh perceptron of tiny-models.ts (16 hidden units, 4 classes) on a space. */
export function mlpModel(space: FeatureSpace = TABULAR): TwoLayer {
  return new TwoLayer(space, 16, CLASSES, 5);
}

/** n inputs of the space with values in [0.2, 0.8], away from the bounds. */
export function tabularInputs(n: number, space: FeatureSpace = TABULAR): Batch {
  const d = sampleSize([0, ...space.shape]);
  const data = Float32Array.from({ length: n * d }, (_, i) => 0.5 + 0.3 * Math.sin(i * 1.618 + Math.floor(i / d) * 0.37));
  return { data, shape: [n, ...space.shape] };
}

/** The model's own labels: clean accuracy 100%, so every flip is the attack's doing. */
export async function ownLabels(model: Classifier, x: Batch): Promise<Int32Array> {
  return argmaxRows(await model.predict(x));
}

/** The same model without its gradients: a logits-only classifier. */
export function logitsOnly(model: Classifier): Classifier {
  return { space: model.space, classes: model.classes, stochastic: model.stochastic, predict: (x) => model.predict(x) };
}
