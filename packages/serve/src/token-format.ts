import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Bearer tokens look like `mns_<id>_<secret>`: a 12-hex-digit public id, by which the store finds
 * the row, and 32 random bytes (base64url). Only SHA-256 of the whole token is stored, so a copy of
 * the database grants nothing; the lookup by id keeps the hash comparison to one row, done in
 * constant time.
 */
const TOKEN = /^mns_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

/** A freshly drawn token, its id and the hash to store. */
export interface NewToken {
  readonly id: string;
  readonly token: string;
  readonly hash: Buffer;
}

/** SHA-256 of a token's text. */
export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Draws a new token from the OS CSPRNG. */
export function newToken(): NewToken {
  const id = randomBytes(6).toString('hex');
  const token = `mns_${id}_${randomBytes(32).toString('base64url')}`;
  return { id, token, hash: hashToken(token) };
}

/** The id of a well-formed token, or undefined for anything else. */
export function tokenId(token: string): string | undefined {
  return TOKEN.exec(token)?.[1];
}

/** Whether `token` hashes to `stored`, compared in constant time. */
export function tokenMatches(token: string, stored: Uint8Array): boolean {
  const h = hashToken(token);
  return stored.length === h.length && timingSafeEqual(h, stored);
}
