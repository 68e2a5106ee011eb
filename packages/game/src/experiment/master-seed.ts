import { hkdfSync, randomBytes } from 'node:crypto';
import { ParameterError } from '@mixnsqueeze/core/errors';

/** A master seed as written: at least 32 hex digits (128 bits). */
export const HEX_SEED = /^[0-9a-fA-F]{32,}$/;

/**
 * A fresh 128-bit master seed from the OS CSPRNG, as 32 hex digits. Every run draws its own: a key
 * that is written in the source, or derived from a public default, is not a key.
 */
export function freshMasterSeed(): string {
  return randomBytes(16).toString('hex');
}

/** Validates a master seed given by the user (`--seed <hex>`, a config's `seed`): at least 128 bits of hex. */
export function parseMasterSeed(flag: string, value: string): string {
  if (!HEX_SEED.test(value)) {
    throw new ParameterError(`${flag}: expected a master seed of at least 32 hex digits (128 bits), got '${value}'. Copy it from the report of the run to replay.`);
  }
  return value.toLowerCase();
}

/**
 * The seed of one attack in a run: HKDF-SHA256 of the master seed under the attack's cell key,
 * 32 hex digits. One-way, so an attack (built-in or a plugin) that sees its seed learns nothing
 * about the master seed and so nothing about the defense keys that derive from it.
 */
export function attackSeedOf(master: string, label: string): string {
  return Buffer.from(hkdfSync('sha256', Buffer.from(master, 'hex'), 'mixnsqueeze/attack-seed/v1', label, 16)).toString('hex');
}
