import { type KeyedPrg, derivedKeys } from '@mixnsqueeze/core';

/**
 * The attack's own randomness (random starts, SPSA directions), derived from the attack seed so the
 * same seed gives the same adversarial examples. Independent of the defense's keys.
 */
export function attackRandomness(seed: string, purpose: string): KeyedPrg {
  return derivedKeys(seedMaterial(seed)).fork(purpose).next();
}

/** Any seed string (an integer, hex, a word) becomes 256 bits of seed material. */
function seedMaterial(seed: string): string {
  const hex = Buffer.from(`mixnsqueeze-attack-seed:${seed}`, 'utf8').toString('hex');
  return hex.length >= 32 ? hex : hex.padEnd(32, '0');
}
