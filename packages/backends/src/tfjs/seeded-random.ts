import { type KeyedPrg, derivedKeys } from '@mixnsqueeze/core';

/** A keyed generator for one named purpose of a training run, e.g. ('epoch=3', 'order'). */
export function trainingPrg(seed: number, ...labels: string[]): KeyedPrg {
  let keys = derivedKeys(`mixnsqueeze/train/seed=${seed}`);
  for (const l of labels) keys = keys.fork(l);
  return keys.next();
}

/**
 * Runs `fn` with Math.random drawn from the generator. tfjs seeds its unseeded random ops (the
 * dropout masks) from Math.random, and a seeded tfjs dropout layer repeats one mask at every
 * step; this is the way to make dropout both fresh per step and reproducible per run.
 */
export async function withSeededMathRandom<T>(prg: KeyedPrg, fn: () => Promise<T>): Promise<T> {
  const original = Math.random;
  const buf = new Float64Array(4096);
  let pos = buf.length;
  Math.random = () => {
    if (pos === buf.length) {
      prg.uniform(buf);
      pos = 0;
    }
    return buf[pos++]!;
  };
  try {
    return await fn();
  } finally {
    Math.random = original;
  }
}
