import { createHash } from 'node:crypto';
import { ParameterError } from '@mixnsqueeze/core';

/** What identifies a generated adversarial set: same key, same set. */
export interface AdversarialSetKey {
  /** Fingerprint of the model's weights (e.g. fingerprintFiles of its files). */
  readonly model: string;
  /** Defense specs in front of the model, in order ([] for none). */
  readonly defense: readonly string[];
  /** Dataset id or fingerprint, and which of its samples were attacked. */
  readonly dataset: string;
  /** Which samples of the dataset were attacked, as the caller identifies them (e.g. a fingerprint of the indices). */
  readonly slice: string;
  /** Canonical attack spec with every parameter (AttackBase.spec). */
  readonly attack: string;
  /** Canonical surface spec. */
  readonly surface: string;
  /** Target mode of the run (`untargeted`, `next`, `ll`). */
  readonly target: string;
  /** Seed of the attack's own randomness. */
  readonly seed: string;
  /** Anything else the result depends on (batch size, backend, ...). */
  readonly extra?: Readonly<Record<string, string | number | boolean>>;
  /**
   * Fingerprint of the code that generates the set; {@link AdversarialCache} fills in its own
   * (by default {@link codeFingerprint} of the generating packages) where this is absent.
   */
  readonly code?: string;
}

/** Bumped when the stored format or the meaning of a key changes: old entries stop matching. */
export const CACHE_FORMAT = 2;

/**
 * Canonical JSON: object keys sorted at every level, no whitespace, so equal keys give equal text
 * whatever order they were built in. Only JSON values (no undefined, NaN, functions) are accepted.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new ParameterError(`cache key: ${value} is not a JSON number.`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  throw new ParameterError(`cache key: a ${typeof value} cannot be part of a key.`);
}

/** SHA-256 (hex) of the canonical JSON of the key and the cache format. */
export function cacheKeyHash(key: AdversarialSetKey): string {
  return createHash('sha256').update(canonicalJson({ format: CACHE_FORMAT, key })).digest('hex');
}
