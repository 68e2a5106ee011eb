import {
  type Batch,
  CapabilityError,
  type Classifier,
  type DifferentiableClassifier,
  type FeatureSpace,
  type KeySchedule,
  type KeyedPrg,
  type Randomizer,
  type SameDrawDifferentiable,
  type Squeezer,
  checkBatch,
  isDifferentiable,
  logitsAndGradient,
  osKeys,
} from '@mixnsqueeze/core';
import { type CapturedModel, captureModel } from './captured-model.ts';
import { freezeChain, freezeClass } from './freeze.ts';

/** What `defend` composes in front of a classifier. */
export interface DefenseOptions {
  /**
   * Randomizer applied first (Mix'n'Squeeze: uniform noise + clip). The defense freezes it, with
   * its prototypes up to Object.prototype: keep any mutable state in private (#) fields.
   */
  readonly randomize?: Randomizer;
  /** Squeezers applied in order after the randomizer; frozen by the defense like the randomizer. */
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
 *
 * An attack plugin that holds the defense may read its parts but change none of them: the defense
 * (instance and prototype), its randomizer and squeezers (instances and prototype chains) are
 * frozen, the pipeline runs through private references, and the base model's methods are bound
 * once at construction, so later patches of `base.predict` / `vjp` / `vjpWith` do not reach it.
 */
export class DefendedClassifier implements Classifier {
  /** The undefended classifier the transformed inputs go to (the defense calls its methods as captured at construction). */
  readonly base: Classifier;
  /** The randomizer applied first, if any (frozen). */
  readonly randomizer: Randomizer | undefined;
  /** The squeezers applied in order after the randomizer (frozen). */
  readonly squeezers: readonly Squeezer[];
  readonly space: FeatureSpace;
  readonly classes: number;
  readonly stochastic: boolean;
  readonly #model: CapturedModel;
  readonly #randomizer: Randomizer | undefined;
  readonly #squeezers: readonly Squeezer[];
  /** The key schedule's next(), bound at construction and held only here. */
  readonly #nextKey: () => KeyedPrg;

  constructor(base: Classifier, options: DefenseOptions = {}) {
    this.base = base;
    this.#model = captureModel(base);
    this.randomizer = this.#randomizer = options.randomize && freezeChain(options.randomize);
    this.squeezers = this.#squeezers = Object.freeze((options.squeeze ?? []).map((s) => freezeChain(s)));
    this.space = base.space;
    this.classes = base.classes;
    this.stochastic = base.stochastic || (this.#randomizer?.active ?? false);
    const keys = options.keys ?? osKeys();
    this.#nextKey = keys.next.bind(keys);
    // A subclass freezes at the end of its own constructor, once its own fields are defined.
    if (new.target === DefendedClassifier) Object.freeze(this);
  }

  /** Spec strings of the input pipeline, in order, e.g. ['uniform:0.5', 'median:2x2']. */
  get specs(): string[] {
    return [...(this.#randomizer ? [this.#randomizer.spec] : []), ...this.#squeezers.map((s) => s.spec)];
  }

  /** The input pipeline alone (one fresh draw of the randomness); what the base model sees. */
  preprocess(x: Batch): Batch {
    return this.#pipeline(x);
  }

  #pipeline(x: Batch): Batch {
    checkBatch(this.space, x);
    return this.#chain(x)[this.#squeezers.length + 1]!;
  }

  /** Inputs of every stage: [x, randomized, squeezed_1, ..., squeezed_k]. */
  #chain(x: Batch): Batch[] {
    const stages: Batch[] = [x];
    let z = x;
    if (this.#randomizer?.active) z = this.#randomizer.apply(z, this.space, this.#nextKey());
    stages.push(z);
    for (const s of this.#squeezers) {
      z = s.apply(z, this.space);
      stages.push(z);
    }
    return stages;
  }

  async predict(x: Batch): Promise<Batch> {
    return this.#model.predict(this.#pipeline(x));
  }

  /** Logits and gradient through one draw of the pipeline; used by the differentiable subclass. */
  protected async vjpThrough(x: Batch, seedOf: (logits: Batch) => Batch): Promise<{ logits: Batch; grad: Batch }> {
    const model = this.#model;
    if (!isDifferentiable(model)) throw new CapabilityError('defense: the base model has no gradients (vjp); defend a differentiable model to take gradients.');
    checkBatch(this.space, x);
    const stages = this.#chain(x);
    const { logits, grad } = await logitsAndGradient(model, stages[stages.length - 1]!, seedOf);
    return { logits, grad: this.#backward(stages, grad) };
  }

  #backward(stages: Batch[], gradAtModel: Batch): Batch {
    let g = gradAtModel;
    for (let i = this.#squeezers.length - 1; i >= 0; i--) {
      g = this.#squeezers[i]!.backward(stages[i + 1]!, stages[i + 2]!, g, this.space);
    }
    if (this.#randomizer?.active) g = this.#randomizer.backward(stages[0]!, stages[1]!, g, this.space);
    return g;
  }
}
freezeClass(DefendedClassifier);

/**
 * A defended classifier over a differentiable base. `vjp` differentiates through one fresh draw of
 * the randomness: exact through noise + clip and median, BPDA identity through rounding and NLM.
 * Averaging several calls is EOT.
 */
export class DifferentiableDefendedClassifier extends DefendedClassifier implements DifferentiableClassifier, SameDrawDifferentiable {
  readonly gradientKind: 'exact' | 'bpda';

  constructor(base: DifferentiableClassifier, options: DefenseOptions = {}) {
    super(base, options);
    const surrogate = base.gradientKind === 'bpda' || this.squeezers.some((s) => s.gradient === 'bpda') || this.randomizer?.gradient === 'bpda';
    this.gradientKind = surrogate ? 'bpda' : 'exact';
    if (new.target === DifferentiableDefendedClassifier) Object.freeze(this);
  }

  async vjp(x: Batch, dLogits: Batch): Promise<Batch> {
    return (await this.vjpThrough(x, () => dLogits)).grad;
  }

  /** Forward and backward through the same draw of the randomness (see SameDrawDifferentiable). */
  vjpWith(x: Batch, seedOf: (logits: Batch) => Batch): Promise<{ logits: Batch; grad: Batch }> {
    return this.vjpThrough(x, seedOf);
  }
}
freezeClass(DifferentiableDefendedClassifier);

/**
 * Composes a defense: `defend(model, { randomize: new UniformNoise(0.5), squeeze: [new Median(2)] })`.
 * The result is a Classifier; stochastic when randomized; Differentiable when the model is.
 */
export function defend(model: DifferentiableClassifier, options?: DefenseOptions): DifferentiableDefendedClassifier;
export function defend(model: Classifier, options?: DefenseOptions): DefendedClassifier;
export function defend(model: Classifier, options: DefenseOptions = {}): DefendedClassifier {
  return isDifferentiable(model) ? new DifferentiableDefendedClassifier(model, options) : new DefendedClassifier(model, options);
}
