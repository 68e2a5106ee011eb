/**
 * Carlini & Wagner's per-sample binary search on the constant c that weighs the attack term against
 * the distance (nn_robust_attacks l2_attack.py): start at `initial`; after a search step in which the
 * sample succeeded, upper = min(upper, c); otherwise lower = max(lower, c); then c is the midpoint
 * once an upper bound below 1e9 is known, else c grows tenfold. With 10 or more steps the last one
 * uses the upper bound itself (their `repeat`).
 */
export class ConstSearch {
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

  /** Call before search step `step` (0-based). */
  begin(step: number): void {
    if (this.steps >= 10 && step === this.steps - 1) this.c.set(this.#upper);
  }

  /** Call after a search step with whether each sample succeeded in it. */
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
