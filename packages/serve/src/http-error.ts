import { isMixnsqueezeError } from '@mixnsqueeze/core';

/** An error the service answers with its own status, one-line message and headers. */
export class HttpError extends Error {
  /**
   * @param status HTTP status code.
   * @param message One line for the client; it says what to do.
   * @param headers Extra response headers (Retry-After).
   * @param extra Extra fields of the JSON body beside `error`.
   */
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
    readonly extra: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

const MAX_LINE = 300;

/** First line of a message, clipped: error bodies are one line, whatever the cause echoed. */
export function oneLine(message: string): string {
  const line = message.split('\n')[0]!.trim();
  return line.length > MAX_LINE ? `${line.slice(0, MAX_LINE)}... (${line.length} characters)` : line;
}

interface FastifyLikeError {
  code?: string;
  statusCode?: number;
  validation?: unknown;
  validationContext?: string;
  message: string;
}

/**
 * Maps anything a handler or Fastify throws to the answer: the service's own HttpErrors as they
 * are, the library's typed errors (bad input) 400, Fastify's client errors with clearer words, and
 * everything else 500 without details (the log has them).
 */
export function toHttpError(e: unknown, bodyLimit: number): HttpError & { internal?: boolean } {
  if (e instanceof HttpError) return e;
  if (isMixnsqueezeError(e)) return new HttpError(400, oneLine(e.message));
  const f = (e ?? {}) as FastifyLikeError;
  if (f.validation) return new HttpError(400, oneLine(`invalid request ${f.validationContext ?? ''}: ${f.message}`.replace(/ {2,}/g, ' ')));
  switch (f.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new HttpError(413, `request body over the limit of ${bodyLimit} bytes; send fewer samples per request.`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new HttpError(415, 'unsupported content type; send application/json ({"shape", "data"}) or application/octet-stream (a .npy file).');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new HttpError(400, 'empty request body; send {"shape": [...], "data": [...]} or a .npy file.');
    default:
  }
  if (typeof f.statusCode === 'number' && f.statusCode >= 400 && f.statusCode < 500) return new HttpError(f.statusCode, oneLine(f.message));
  return Object.assign(new HttpError(500, 'internal error; the server log has the details.'), { internal: true });
}
