/** The stall test of CW's L2 attack: the objective must fall below this fraction of its last checked value. */
const STALL_FACTOR = 0.9999;

/**
 * The search on c that Carlini & Wagner's L0 and L-inf attacks share (nn_robust_attacks
 * l0_attack.py, li_attack.py), per sample: Adam runs at one c for up to `iterations` steps; a
 * sample without a solution by then has c multiplied by `factor` (iterate and optimizer state carry
 * on) and gives up once c reaches `largest`. After a solution the next round starts at the same c.
 *
 * With `abortEarly`, a round also ends as soon as its objective stalls, by CW-2's rule: every
 * iterations/10 steps the objective must be below 0.9999 times its value at the previous check.
 * Their code runs every failing round to the end, and most rounds fail: the last search of every
 * sample climbs c from where it stands to `largest` (from 1e-5 to 20 for L-inf, 21 rounds; up to
 * 2e6 for L0, about 30), each round 1000 steps of an optimization that stalled long before. Ending a
 * stalled round early keeps the algorithm (the same c sequence, the same success test) and skips
 * those steps; a stalled round that would have found a solution late is the price.
 */
export class ConstRounds {
  readonly c: Float64Array;
  readonly #steps: Int32Array;
  readonly #prev: Float64Array;
  readonly #every: number;

  constructor(
    n: number,
    initial: number,
    readonly iterations: number,
    readonly factor: number,
    readonly largest: number,
    readonly abortEarly: boolean,
  ) {
    this.c = new Float64Array(n).fill(initial);
    this.#steps = new Int32Array(n);
    this.#prev = new Float64Array(n).fill(Infinity);
    this.#every = Math.max(1, Math.floor(iterations / 10));
  }

  /** Sample i found a solution: its next round starts afresh at the same c. */
  restart(i: number): void {
    this.#steps[i] = 0;
    this.#prev[i] = Infinity;
  }

  /**
   * Sample i took one step from an iterate whose objective was `objective` (and was no solution).
   * Returns false once the sample gives up.
   */
  step(i: number, objective: number): boolean {
    const s = this.#steps[i]!++;
    if (this.abortEarly && s % this.#every === 0) {
      if (objective > this.#prev[i]! * STALL_FACTOR) return this.#grow(i);
      this.#prev[i] = objective;
    }
    return s + 1 < this.iterations || this.#grow(i);
  }

  #grow(i: number): boolean {
    this.restart(i);
    this.c[i] = this.c[i]! * this.factor;
    return this.c[i]! < this.largest;
  }
}
