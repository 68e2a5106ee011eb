import {
  type Classifier,
  type DifferentiableClassifier,
  type SameDrawDifferentiable,
  isDifferentiable,
  isSameDrawDifferentiable,
} from '@mixnsqueeze/core';

/** What a defense calls on its base model: the base's methods, bound once. */
export type CapturedModel = Classifier & Partial<DifferentiableClassifier & SameDrawDifferentiable>;

/**
 * The base model's predict, vjp and vjpWith, bound at construction into a frozen object that only
 * the defense holds. Patching `base.predict` (or vjp, vjpWith) later, on the instance or on its
 * prototype, then neither sees the defended inputs nor changes the defense's answers.
 */
export function captureModel(base: Classifier): CapturedModel {
  const model: { -readonly [K in keyof CapturedModel]: CapturedModel[K] } = {
    space: base.space,
    classes: base.classes,
    stochastic: base.stochastic,
    predict: base.predict.bind(base),
  };
  if (isDifferentiable(base)) {
    model.vjp = base.vjp.bind(base);
    if (base.gradientKind !== undefined) model.gradientKind = base.gradientKind;
  }
  if (isSameDrawDifferentiable(base)) model.vjpWith = base.vjpWith.bind(base);
  return Object.freeze(model);
}
