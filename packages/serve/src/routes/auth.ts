import type { FastifyRequest } from 'fastify';
import { HttpError } from '../http-error.ts';
import type { TokenInfo, TokenStore } from '../token-store.ts';

const CHALLENGE = { 'WWW-Authenticate': 'Bearer' };

/** The bearer token of a request, or undefined when the header is missing or not `Bearer <token>`. */
export function bearerToken(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  const m = typeof h === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(h) : null;
  return m?.[1];
}

/**
 * Checks a request's token before its body is read (an `onRequest` hook), so an unknown client
 * costs no parsing: 401 when it is missing, unknown or revoked. Returns the token and its client.
 */
export function authenticate(req: FastifyRequest, store: TokenStore, now: number): { token: string; client: TokenInfo } {
  const token = bearerToken(req);
  if (token === undefined) throw new HttpError(401, "missing bearer token; send 'Authorization: Bearer <token>' (the operator creates one with 'mixnsqueeze token create').", CHALLENGE);
  const client = store.check(token, now);
  if (!client) throw new HttpError(401, 'unknown or revoked token; ask the operator for a valid one.', CHALLENGE);
  return { token, client };
}
