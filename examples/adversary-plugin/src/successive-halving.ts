import {
  type Adversary,
  type AdversaryFactory,
  type Batch,
  type GameView,
  ParameterError,
  type Plugin,
  TOKENS,
  defineComponent,
  gatherRows,
} from '@mixnsqueeze/core';
import { estimateErrors, rankByProbability } from '@mixnsqueeze/game';
import { z } from 'zod';

export const successiveHalvingParams = z.strictObject({
  m0: z.number().int().min(1).default(8).describe('Classify queries per candidate in the first round'),
  stop: z.number().min(1).default(2).describe('stop halving once at most stop x N candidates survive'),
});
export type SuccessiveHalvingParams = z.infer<typeof successiveHalvingParams>;

/**
 * An EV-CSA adversary that spends its Classify queries where they decide something: successive
 * halving (Karnin, Koren & Somekh, ICML 2013), a best-arm identification strategy. Round r
 * classifies every surviving candidate m0 * 2^r more times, then keeps the better half by its
 * pooled error estimate; once at most `stop` x N candidates survive it submits the N best. The
 * greedy A* of the paper spends m queries on every candidate alike, most of them on candidates that
 * were hopeless after a few.
 */
export class SuccessiveHalvingAdversary implements Adversary {
  readonly id = 'successive-halving';
  /** Pooled error estimate per candidate after the last round it took part in. */
  estimates: Float64Array | undefined;

  constructor(
    readonly candidates: Batch,
    readonly labels: Int32Array,
    readonly options: SuccessiveHalvingParams = { m0: 8, stop: 2 },
  ) {
    if (labels.length !== candidates.shape[0]) throw new ParameterError(`successive-halving: expected ${candidates.shape[0]} labels, got ${labels.length}.`);
  }

  async play(view: GameView): Promise<void> {
    const n = this.labels.length;
    const errors = new Float64Array(n);
    const trials = new Float64Array(n);
    let alive = Array.from({ length: n }, (_, i) => i);
    let m = this.options.m0;
    for (;;) {
      const r = await estimateErrors(view, gatherRows(this.candidates, alive), Int32Array.from(alive, (i) => this.labels[i]!), m);
      alive.forEach((i, j) => {
        errors[i] += r.errors[j]!;
        trials[i] += r.trials[j]!;
      });
      if (alive.length <= this.options.stop * view.remaining) break;
      const p = Float64Array.from(alive, (i) => errors[i]! / trials[i]!);
      alive = rankByProbability(p).slice(0, Math.max(view.remaining, Math.ceil(alive.length / 2))).map((j) => alive[j]!);
      m *= 2;
    }
    this.estimates = errors.map((e, i) => (trials[i]! > 0 ? e / trials[i]! : 0));
    const order = rankByProbability(Float64Array.from(alive, (i) => this.estimates![i]!)).slice(0, view.remaining);
    await view.attack(gatherRows(this.candidates, order.map((j) => alive[j]!)));
  }
}

export const successiveHalvingComponent = defineComponent<AdversaryFactory, SuccessiveHalvingParams>({
  id: 'successive-halving',
  role: 'adversary',
  summary: 'Successive halving (Karnin et al. 2013): Classify queries go to the candidates still in the running',
  params: successiveHalvingParams,
  examples: ['successive-halving', 'successive-halving:m0=8,stop=2'],
  create: (o) => (candidates, labels) => new SuccessiveHalvingAdversary(candidates, labels, o),
});

/** `registry.use(successiveHalvingPlugin)`, or `mixnsqueeze --plugin <this file>`. */
export const successiveHalvingPlugin: Plugin = {
  name: 'example-successive-halving',
  register(container) {
    container.bind(TOKENS.adversary).toConstantValue(successiveHalvingComponent);
  },
};
