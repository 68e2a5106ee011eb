/** A per-sample schedule of the constant c of an L2 search (see l2-search.ts). */
export interface ConstSchedule {
  /** The c of each sample for the current search step. */
  readonly c: Float64Array;
  /** Call before search step `step` (0-based). */
  begin(step: number): void;
  /** Call after a search step with whether each sample succeeded in it. */
  update(succeeded: Uint8Array): void;
}

/**
 * Carlini & Wagner's per-sample binary search on the constant c that weighs the attack term against
 * the distance (nn_robust_attacks l2_attack.py): start at `initial`; after a search step in which the
 * sample succeeded, upper = min(upper, c); otherwise lower = max(lower, c); then c is the midpoint
 * once an upper bound below 1e9 is known, else c grows tenfold. With 10 or more steps the last one
 * uses the upper bound itself (their `repeat`).
 */
export class ConstSearch implements ConstSchedule {
  readonly c: Float64Array;
  readonly #lower: Float64Array;
  readonly #upper: Float64Array;

  constructor(
    n: number,
    initial: number,
    readonly steps: number,
  ) {
    this.c = new Float64Array(n).fill(initial);
    this.#lower = new Float64Array(n);
    this.#upper = new Float64Array(n).fill(1e10);
  }

  begin(step: number): void {
    if (this.steps >= 10 && step === this.steps - 1) this.c.set(this.#upper);
  }

  update(succeeded: Uint8Array): void {
    const c = this.c;
    for (let i = 0; i < c.length; i++) {
      if (succeeded[i]) this.#upper[i] = Math.min(this.#upper[i]!, c[i]!);
      else this.#lower[i] = Math.max(this.#lower[i]!, c[i]!);
      if (this.#upper[i]! < 1e9) c[i] = (this.#lower[i]! + this.#upper[i]!) / 2;
      else if (!succeeded[i]) c[i] = c[i]! * 10;
    }
  }
}

/**
 * He et al.'s search on c (EvadeML-Zoo attacks/adaptive/adaptive_adversary.py, `adaptive_CarliniL2`),
 * in log space: log c starts at log(initial) (their `initial_const` 0.0 is log c, so c = 1); after a
 * step whose sample failed, low = log c and log c += 2.3 (about x10) while no success bounds it from
 * above, else log c = (low + high) / 2; after a success, high = log c and log c -= 0.69 (about /2)
 * while no failure bounds it from below, else the same midpoint (a geometric mean of the two c).
 * c is fed to the loss as float32 (their placeholder), so it is rounded to float32 here too.
 */
export class HeConstSearch implements ConstSchedule {
  readonly c: Float64Array;
  readonly #log: Float64Array;
  readonly #low: Float64Array;
  readonly #high: Float64Array;

  constructor(n: number, initial: number) {
    this.#log = new Float64Array(n).fill(Math.log(initial));
    this.#low = new Float64Array(n).fill(NaN);
    this.#high = new Float64Array(n).fill(NaN);
    this.c = new Float64Array(n);
    this.#sync();
  }

  begin(_step: number): void {}

  update(succeeded: Uint8Array): void {
    const log = this.#log;
    for (let i = 0; i < log.length; i++) {
      const curr = log[i]!;
      if (!succeeded[i]) {
        this.#low[i] = curr;
        log[i] = Number.isNaN(this.#high[i]!) ? curr + 2.3 : (this.#high[i]! + curr) / 2;
      } else {
        this.#high[i] = curr;
        log[i] = Number.isNaN(this.#low[i]!) ? curr - 0.69 : (curr + this.#low[i]!) / 2;
      }
    }
    this.#sync();
  }

  #sync(): void {
    for (let i = 0; i < this.c.length; i++) this.c[i] = Math.fround(Math.exp(this.#log[i]!));
  }
}
