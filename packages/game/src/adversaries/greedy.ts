import { type Adversary, type Batch, type GameView, ParameterError } from '@mixnsqueeze/core';
import { estimateErrors, rankByProbability } from './estimates.ts';

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
  estimates: Float64Array | undefined;

  constructor(
    readonly candidates: Batch,
    readonly labels: Int32Array,
    readonly options: GreedyOptions = { m: 200 },
  ) {
    if (labels.length !== candidates.shape[0]) throw new ParameterError(`greedy: expected ${candidates.shape[0]} labels, got ${labels.length}.`);
    if (!Number.isInteger(options.m) || options.m < 1) throw new ParameterError(`greedy: m must be a positive integer, got ${options.m}.`);
  }

  async play(view: GameView): Promise<void> {
    const { errors, trials } = await estimateErrors(view, this.candidates, this.labels, this.options.m);
    this.estimates = errors.map((e, i) => e / trials[i]!);
    const order = rankByProbability(this.estimates).slice(0, view.remaining);
    await view.attack(pick(this.candidates, order));
  }
}

/** Rows of a batch, in the given order. */
export function pick(x: Batch, rows: readonly number[]): Batch {
  const d = x.data.length / Math.max(1, x.shape[0]!);
  const out = new Float32Array(rows.length * d);
  rows.forEach((r, j) => out.set(x.data.subarray(r * d, (r + 1) * d), j * d));
  return { data: out, shape: [rows.length, ...x.shape.slice(1)] };
}
