import {
  type Batch,
  type Classifier,
  type DifferentiableClassifier,
  type FeatureSpace,
  type KeySchedule,
  type Randomizer,
  type SameDrawDifferentiable,
  type Squeezer,
  checkBatch,
  isDifferentiable,
  logitsAndGradient,
  osKeys,
} from '@mixnsqueeze/core';

/** What `defend` composes in front of a classifier. */
export interface DefenseOptions {
  /** Randomizer applied first (Mix'n'Squeeze: uniform noise + clip). */
  readonly randomize?: Randomizer;
  /** Squeezers applied in order after the randomizer. */
  readonly squeeze?: readonly Squeezer[];
  /**
   * Key source. Default: fresh OS keys for every call (deployment). Pass `derivedKeys(seed)` only
   * for replayable experiments.
   */
  readonly keys?: KeySchedule;
}

/**
 * A defended classifier: randomizer? -> squeezers -> base classifier, itself a Classifier. The key
 * schedule is held in a private field: nothing reachable from this object exposes a key.
 */
export class DefendedClassifier implements Classifier {
  /** The undefended classifier the transformed inputs go to. */
  readonly base: Classifier;
  /** The randomizer applied first, if any. */
  readonly randomizer: Randomizer | undefined;
  /** The squeezers applied in order after the randomizer. */
  readonly squeezers: readonly Squeezer[];
  readonly space: FeatureSpace;
  readonly classes: number;
  readonly stochastic: boolean;
  readonly #keys: KeySchedule;

  constructor(base: Classifier, options: DefenseOptions = {}) {
    this.base = base;
    this.randomizer = options.randomize;
    this.squeezers = Object.freeze([...(options.squeeze ?? [])]);
    this.space = base.space;
    this.classes = base.classes;
    this.stochastic = base.stochastic || (this.randomizer?.active ?? false);
    this.#keys = options.keys ?? osKeys();
  }

  /** Spec strings of the input pipeline, in order, e.g. ['uniform:0.5', 'median:2x2']. */
  get specs(): string[] {
    return [...(this.randomizer ? [this.randomizer.spec] : []), ...this.squeezers.map((s) => s.spec)];
  }

  /** The input pipeline alone (one fresh draw of the randomness); what the base model sees. */
  preprocess(x: Batch): Batch {
    checkBatch(this.space, x);
    return this.#chain(x)[this.squeezers.length + 1]!;
  }

  /** Inputs of every stage: [x, randomized, squeezed_1, ..., squeezed_k]. */
  #chain(x: Batch): Batch[] {
    const stages: Batch[] = [x];
    let z = x;
    if (this.randomizer?.active) z = this.randomizer.apply(z, this.space, this.#keys.next());
    stages.push(z);
    for (const s of this.squeezers) {
      z = s.apply(z, this.space);
      stages.push(z);
    }
    return stages;
  }

  async predict(x: Batch): Promise<Batch> {
    return this.base.predict(this.preprocess(x));
  }

  /** Logits and gradient through one draw of the pipeline; used by the differentiable subclass. */
  protected async vjpThrough(
    base: DifferentiableClassifier,
    x: Batch,
    seedOf: (logits: Batch) => Batch,
  ): Promise<{ logits: Batch; grad: Batch }> {
    checkBatch(this.space, x);
    const stages = this.#chain(x);
    const { logits, grad } = await logitsAndGradient(base, stages[stages.length - 1]!, seedOf);
    return { logits, grad: this.#backward(stages, grad) };
  }

  #backward(stages: Batch[], gradAtModel: Batch): Batch {
    let g = gradAtModel;
    for (let i = this.squeezers.length - 1; i >= 0; i--) {
      g = this.squeezers[i]!.backward(stages[i + 1]!, stages[i + 2]!, g, this.space);
    }
    if (this.randomizer?.active) g = this.randomizer.backward(stages[0]!, stages[1]!, g, this.space);
    return g;
  }
}

/**
 * A defended classifier over a differentiable base. `vjp` differentiates through one fresh draw of
 * the randomness: exact through noise + clip and median, BPDA identity through rounding and NLM.
 * Averaging several calls is EOT.
 */
export class DifferentiableDefendedClassifier extends DefendedClassifier implements DifferentiableClassifier, SameDrawDifferentiable {
  readonly #base: DifferentiableClassifier;
  readonly gradientKind: 'exact' | 'bpda';

  constructor(base: DifferentiableClassifier, options: DefenseOptions = {}) {
    super(base, options);
    this.#base = base;
    const surrogate = base.gradientKind === 'bpda' || this.squeezers.some((s) => s.gradient === 'bpda') || options.randomize?.gradient === 'bpda';
    this.gradientKind = surrogate ? 'bpda' : 'exact';
  }

  async vjp(x: Batch, dLogits: Batch): Promise<Batch> {
    return (await this.vjpThrough(this.#base, x, () => dLogits)).grad;
  }

  /** Forward and backward through the same draw of the randomness (see SameDrawDifferentiable). */
  vjpWith(x: Batch, seedOf: (logits: Batch) => Batch): Promise<{ logits: Batch; grad: Batch }> {
    return this.vjpThrough(this.#base, x, seedOf);
  }
}

/**
 * Composes a defense: `defend(model, { randomize: new UniformNoise(0.5), squeeze: [new Median(2)] })`.
 * The result is a Classifier; stochastic when randomized; Differentiable when the model is.
 */
export function defend(model: DifferentiableClassifier, options?: DefenseOptions): DifferentiableDefendedClassifier;
export function defend(model: Classifier, options?: DefenseOptions): DefendedClassifier;
export function defend(model: Classifier, options: DefenseOptions = {}): DefendedClassifier {
  return isDifferentiable(model) ? new DifferentiableDefendedClassifier(model, options) : new DefendedClassifier(model, options);
}
