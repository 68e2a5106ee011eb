import { type Adversary, type AdversaryFactory, type Batch, type GameView, ParameterError, defineComponent, gatherRows } from '@mixnsqueeze/core';
import { z } from 'zod';
import { estimateErrors } from './estimates.ts';

/** Options of the {@link AdaptiveAdversary}; defaults in {@link ADAPTIVE_DEFAULTS}. */
export interface AdaptiveOptions {
  /** Initial Classify queries per candidate. */
  readonly initial: number;
  /** Extra Classify queries for each contender before every submission. */
  readonly refine: number;
  /** How many leading candidates are refined before each submission. */
  readonly contenders: number;
  /**
   * Resubmit near-copies of the best candidate (one feature moved by `jitter` of the bound width):
   * the game rejects only exact repeats. Judging near-copies needs a truth with a tolerance.
   */
  readonly nearRepeats: boolean;
  /** Step of a near-copy, relative to the bound width (default 1e-4). */
  readonly jitter: number;
}

/** Defaults of the adaptive adversary: 20 initial and 20 refining queries, 5 contenders, no near-copies. */
export const ADAPTIVE_DEFAULTS: AdaptiveOptions = { initial: 20, refine: 20, contenders: 5, nearRepeats: false, jitter: 1e-4 };

/**
 * An adaptive adversary: it submits one sample at a time and re-estimates between submissions. It
 * ranks candidates by the posterior mean (errors + 1) / (trials + 2), spends `refine` more Classify
 * queries on the leading `contenders`, submits the best, and counts the Attack answer as one more
 * observation. With `nearRepeats` it keeps exploiting its best candidate through near-copies, the
 * strongest strategy against a game that rejects only exact repeats: its advantage approaches
 * p_max^N instead of the product of the N best p_i.
 */
export class AdaptiveAdversary implements Adversary {
  readonly id = 'adaptive';
  /** The options in effect (defaults filled in). */
  readonly options: AdaptiveOptions;
  /** Estimated error probability of each candidate after the game; undefined before `play`. */
  estimates: Float64Array | undefined;

  constructor(
    /** The candidate pool (the adversarial set it brings). */
    readonly candidates: Batch,
    /** True labels of the candidates. */
    readonly labels: Int32Array,
    options: Partial<AdaptiveOptions> = {},
  ) {
    this.options = { ...ADAPTIVE_DEFAULTS, ...options };
    const o = this.options;
    if (labels.length !== candidates.shape[0]) throw new ParameterError(`adaptive: expected ${candidates.shape[0]} labels, got ${labels.length}.`);
    for (const k of ['initial', 'refine', 'contenders'] as const) {
      if (!Number.isInteger(o[k]) || o[k] < (k === 'refine' ? 0 : 1)) throw new ParameterError(`adaptive: ${k} must be a positive integer, got ${o[k]}.`);
    }
  }

  async play(view: GameView): Promise<void> {
    const o = this.options;
    const n = this.labels.length;
    const state = await estimateErrors(view, this.candidates, this.labels, o.initial);
    const used = new Uint8Array(n);
    const posterior = (i: number) => (state.errors[i]! + 1) / (state.trials[i]! + 2);
    const [lo, hi] = view.model?.space.bounds ?? [0, 1];
    const d = this.candidates.data.length / Math.max(1, n);
    let copies = 0;
    while (view.remaining > 0) {
      const open = Array.from({ length: n }, (_, i) => i).filter((i) => o.nearRepeats || used[i] === 0);
      if (open.length === 0) break;
      open.sort((a, b) => posterior(b) - posterior(a) || a - b);
      const leaders = open.slice(0, o.contenders);
      if (o.refine > 0) {
        const sub = gatherRows(this.candidates, leaders);
        const ls = Int32Array.from(leaders, (i) => this.labels[i]!);
        const r = await estimateErrors(view, sub, ls, o.refine);
        leaders.forEach((i, j) => {
          state.errors[i] += r.errors[j]!;
          state.trials[i] += r.trials[j]!;
        });
      }
      const best = leaders.reduce((a, b) => (posterior(b) > posterior(a) ? b : a));
      const sample = gatherRows(this.candidates, [best]);
      if (used[best] === 1) {
        // A near-copy: move one feature (a different one each time) by jitter, inside the bounds.
        const f = copies++ % d;
        const v = sample.data[f]!;
        const step = o.jitter * (hi - lo) * (1 + Math.floor(copies / d));
        sample.data[f] = v + step <= hi ? v + step : v - step;
      }
      used[best] = 1;
      const [answer] = await view.attack(sample);
      if (answer && 'label' in answer) {
        state.errors[best] += answer.label !== this.labels[best] ? 1 : 0;
        state.trials[best]++;
      } else break;
    }
    this.estimates = state.errors.map((e, i) => e / Math.max(1, state.trials[i]!));
  }
}

export const adaptiveParams = z.strictObject({
  initial: z.number().int().min(1).default(ADAPTIVE_DEFAULTS.initial).describe('initial Classify queries per candidate'),
  refine: z.number().int().min(0).default(ADAPTIVE_DEFAULTS.refine).describe('extra Classify queries per contender before each submission'),
  contenders: z.number().int().min(1).default(ADAPTIVE_DEFAULTS.contenders).describe('leading candidates refined before each submission'),
  nearRepeats: z.boolean().default(ADAPTIVE_DEFAULTS.nearRepeats).describe('resubmit near-copies of the best candidate (needs a truth with a tolerance)'),
  jitter: z.number().gt(0).max(1).default(ADAPTIVE_DEFAULTS.jitter).describe('near-copy step, relative to the bound width'),
});

/** Registry component `adversary` `adaptive`: `adaptive:initial=20,refine=20` or `adaptive:nearRepeats=true`. */
export const adaptiveComponent = defineComponent<AdversaryFactory, z.infer<typeof adaptiveParams>>({
  id: 'adaptive',
  role: 'adversary',
  summary: 'Re-estimates after every Attack answer and submits the current best candidate (optionally its near-copies)',
  params: adaptiveParams,
  examples: ['adaptive', 'adaptive:initial=20,refine=20', 'adaptive:nearRepeats=true,jitter=0.0001'],
  create: (o) => (candidates, labels) => new AdaptiveAdversary(candidates, labels, o),
});
