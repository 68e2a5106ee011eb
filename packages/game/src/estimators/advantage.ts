import { ParameterError } from '@mixnsqueeze/core';
import { wilsonInterval } from './wilson.ts';

/**
 * Advantage as the paper computes it (eq. 6): for tau = 1 and the greedy adversary with exact
 * error probabilities, Adv = product of the N largest p_i.
 */
export function paperAdvantage(p: Float64Array, n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new ParameterError(`advantage: N must be a positive integer, got ${n}.`);
  if (n > p.length) return 0;
  const sorted = Float64Array.from(p).sort().reverse();
  let adv = 1;
  for (let i = 0; i < n; i++) adv *= sorted[i]!;
  return adv;
}

/** The result of {@link measuredAdvantage}. */
export interface MeasuredAdvantage {
  /** Fraction of games with succ >= tau, in [0, 1]. */
  readonly advantage: number;
  /** Number of games with succ >= tau. */
  readonly successfulGames: number;
  /** Number of games played. */
  readonly games: number;
  /** Wilson 95% interval of the advantage. */
  readonly ci95: { readonly low: number; readonly high: number };
}

/** Advantage as measured: the fraction of games with succ >= tau, with its Wilson 95% interval. */
export function measuredAdvantage(successes: ArrayLike<number>, tau: number): MeasuredAdvantage {
  if (!(tau > 0 && tau <= 1)) throw new ParameterError(`advantage: tau must be in (0, 1], got ${tau}.`);
  let k = 0;
  // succ = n / N is a ratio of integers; the epsilon keeps 0.3 = 3 / 10 from missing tau = 0.3.
  for (let i = 0; i < successes.length; i++) if (successes[i]! >= tau - 1e-12) k++;
  const games = successes.length;
  return { advantage: games ? k / games : 0, successfulGames: k, games, ci95: wilsonInterval(k, games) };
}

/**
 * rho-effectiveness: a defense d is rho-effective against A if succ(A, N, C_d) <= rho * succ(A, N, C).
 * Returns the smallest such rho from mean successes (undefined when the undefended success is 0).
 */
export function rhoEffectiveness(defended: ArrayLike<number>, undefended: ArrayLike<number>): number | undefined {
  const mean = (a: ArrayLike<number>) => {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += a[i]!;
    return a.length ? s / a.length : 0;
  };
  const u = mean(undefended);
  return u > 0 ? mean(defended) / u : undefined;
}
