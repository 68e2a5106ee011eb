/** One benchmark figure. Extra keys (backend, defended, ...) are allowed and printed. */
export interface Measurement {
  readonly bench: string;
  readonly case: string;
  readonly batch: number;
  readonly workers: number;
  readonly images_per_s: number;
  readonly [extra: string]: string | number | boolean;
}

export type Report = (m: Measurement) => void;

/** A benchmark group: runs its cases and reports each figure as soon as it is measured. */
export interface BenchGroup {
  readonly name: string;
  readonly description: string;
  run(report: Report): Promise<void>;
}

/**
 * Images per second of `fn` over `images` images per call: repeats until at least `minMs` have
 * passed (after one warm-up call) and keeps the best of `rounds` rounds, the figure least
 * disturbed by other load on a shared machine.
 */
export async function throughput(images: number, fn: () => unknown, minMs = 300, rounds = 3): Promise<number> {
  await fn();
  let best = 0;
  for (let r = 0; r < rounds; r++) {
    let calls = 0;
    const t0 = performance.now();
    let dt = 0;
    do {
      await fn();
      calls++;
      dt = performance.now() - t0;
    } while (dt < minMs);
    best = Math.max(best, (images * calls * 1000) / dt);
  }
  return best;
}
