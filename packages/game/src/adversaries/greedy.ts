import { type Adversary, type AdversaryFactory, type Batch, type GameView, ParameterError, defineComponent, gatherRows } from '@mixnsqueeze/core';
import { z } from 'zod';
import { estimateErrors, rankByProbability } from './estimates.ts';

/** Options of the {@link GreedyAdversary}. */
export interface GreedyOptions {
  /** Classify queries per candidate to estimate its error probability (paper: 200). */
  readonly m: number;
}

/**
 * The greedy adversary A* of Mix'n'Squeeze (reference.md section 6): estimate every candidate's
 * error probability p_i with m Classify queries, then submit the N candidates of highest p_i
 * (ties: lower index first). For tau = 1 and exact p_i its advantage is the product of the N
 * chosen p_i (paper eq. 6). The estimates stay readable for reports (`estimates`).
 */
export class GreedyAdversary implements Adversary {
  readonly id = 'greedy';
  /** Estimated error probability p_i of each candidate; undefined before `play`. */
  estimates: Float64Array | undefined;

  constructor(
    /** The candidate pool (the adversarial set it brings). */
    readonly candidates: Batch,
    /** True labels of the candidates. */
    readonly labels: Int32Array,
    /** Its options (default m = 200). */
    readonly options: GreedyOptions = { m: 200 },
  ) {
    if (labels.length !== candidates.shape[0]) throw new ParameterError(`greedy: expected ${candidates.shape[0]} labels, got ${labels.length}.`);
    if (!Number.isInteger(options.m) || options.m < 1) throw new ParameterError(`greedy: m must be a positive integer, got ${options.m}.`);
  }

  async play(view: GameView): Promise<void> {
    const { errors, trials } = await estimateErrors(view, this.candidates, this.labels, this.options.m);
    this.estimates = errors.map((e, i) => e / trials[i]!);
    const order = rankByProbability(this.estimates).slice(0, view.remaining);
    await view.attack(gatherRows(this.candidates, order));
  }
}

export const greedyParams = z.strictObject({
  m: z.number().int().min(1).default(200).describe('Classify queries per candidate (paper: 200)'),
});

/** Registry component `adversary` `greedy` (the paper's A*): `greedy`, `greedy:50` or `greedy:m=200`. */
export const greedyComponent = defineComponent<AdversaryFactory, z.infer<typeof greedyParams>>({
  id: 'greedy',
  role: 'adversary',
  summary: "The paper's greedy A*: estimate each candidate's p_i with m Classify queries, submit the N highest",
  params: greedyParams,
  positional: (arg) => ({ m: Number(arg) }),
  examples: ['greedy', 'greedy:m=200', 'greedy:50'],
  create: (o) => (candidates, labels) => new GreedyAdversary(candidates, labels, o),
});
