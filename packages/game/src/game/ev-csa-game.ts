import {
  type Adversary,
  type AttackAnswer,
  type Batch,
  type BoxLevel,
  type Classifier,
  type Game,
  type GameOutcome,
  type GameView,
  ParameterError,
  argmaxRows,
  gatherRows,
} from '@mixnsqueeze/core';
import { type Truth, sampleDigest } from './truth.ts';

/** Options of one {@link EvCsaGame}. */
export interface EvCsaGameOptions {
  /** C: the (defended, possibly randomized) classifier under attack. */
  readonly classifier: Classifier;
  /** f: the true class of submitted samples. */
  readonly truth: Truth;
  /** N: Attack queries allowed. */
  readonly budget: number;
  /** How much of C the adversary is told: `white`, `gray` (needs `baseModel`) or `black`. */
  readonly box: BoxLevel;
  /** What the adversary is told about C. */
  readonly description: string;
  /** The undefended model, shown at gray box. */
  readonly baseModel?: Classifier;
}

/**
 * The EV-CSA game Game(A, N, C) of Mix'n'Squeeze (reference.md section 6): counters q (Attack
 * queries), n (successes) and the set X_A of submitted samples. Classify(x) is unlimited but
 * counted; Attack(x') rejects exact repeats without counting, else q += 1 and n += [C(x') != f(x')];
 * the game ends after N Attack queries; the output is succ = n / N. One game per instance.
 */
export class EvCsaGame implements Game {
  readonly #o: EvCsaGameOptions;
  #played = false;

  constructor(options: EvCsaGameOptions) {
    if (!Number.isInteger(options.budget) || options.budget < 1) {
      throw new ParameterError(`game: N must be a positive integer, got ${options.budget}.`);
    }
    if (options.box === 'gray' && !options.baseModel) throw new ParameterError('game: a gray-box game needs the base model.');
    this.#o = options;
  }

  async play(adversary: Adversary): Promise<GameOutcome> {
    if (this.#played) throw new ParameterError('game: each EvCsaGame is played once; create a new one per game.');
    this.#played = true;
    const { classifier, truth, budget, box } = this.#o;
    const submitted = new Set<string>();
    let q = 0;
    let n = 0;
    let classifyQueries = 0;
    let rejected = 0;
    const view: GameView = {
      box,
      ...(box === 'white' ? { model: classifier } : box === 'gray' ? { model: this.#o.baseModel! } : {}),
      description: this.#o.description,
      budget,
      get remaining() {
        return budget - q;
      },
      async classify(x: Batch) {
        classifyQueries += x.shape[0]!;
        return argmaxRows(await classifier.predict(x));
      },
      async attack(x: Batch): Promise<AttackAnswer[]> {
        const m = x.shape[0]!;
        const answers: AttackAnswer[] = new Array(m);
        const fresh: number[] = [];
        for (let i = 0; i < m; i++) {
          const digest = sampleDigest(x, i);
          if (q + fresh.length >= budget) answers[i] = { over: true };
          else if (submitted.has(digest)) {
            answers[i] = { rejected: true };
            rejected++;
          } else {
            submitted.add(digest);
            fresh.push(i);
          }
        }
        if (fresh.length > 0) {
          const picked = gatherRows(x, fresh);
          const labels = argmaxRows(await classifier.predict(picked));
          const truths = truth(picked);
          fresh.forEach((i, j) => {
            q++;
            if (labels[j] !== truths[j]) n++;
            answers[i] = { label: labels[j]! };
          });
        }
        return answers;
      },
    };
    await adversary.play(view);
    return { successes: n, budget, success: n / budget, classifyQueries, attackQueries: q, rejected };
  }
}
