import { type KeyedPrg, derivedKeys } from '@mixnsqueeze/core';

/**
 * The attack's own randomness (random starts, SPSA directions), derived from the attack seed and a '/'-separated purpose so the
 * same seed gives the same adversarial examples. Independent of the defense's keys.
 */
export function attackRandomness(seed: string, purpose: string): KeyedPrg {
  // Key-schedule labels may not contain '/': a path such as 'pgd/start-0/from=0' is a chain of forks.
  return purpose
    .split('/')
    .reduce((keys, label) => keys.fork(label), derivedKeys(seedMaterial(seed)))
    .next();
}

/** Any seed string (an integer, hex, a word) becomes 256 bits of seed material. */
function seedMaterial(seed: string): string {
  const hex = Buffer.from(`mixnsqueeze-attack-seed:${seed}`, 'utf8').toString('hex');
  return hex.length >= 32 ? hex : hex.padEnd(32, '0');
}
