import { ParameterError } from '@mixnsqueeze/core/errors';

/** Where a run's queue lives: ioredis connection options, and the URL as it may be shown. */
export interface QueueUrl {
  /** ioredis options (host, port, db, credentials, TLS for `rediss://`). */
  readonly connection: {
    readonly host: string;
    readonly port: number;
    readonly db: number;
    readonly username?: string;
    readonly password?: string;
    readonly tls?: Record<string, never>;
  };
  /** The URL with its password replaced by `***`: the only form that is ever printed or stored. */
  readonly display: string;
}

/** The environment variable a password may come from instead of the URL (keeps it out of `ps`). */
export const PASSWORD_ENV = 'MIXNSQUEEZE_REDIS_PASSWORD';

/**
 * Parses `--queue redis://[[user]:password@]host[:port][/db]` (or `rediss://` for TLS). Without a
 * password in the URL, one in MIXNSQUEEZE_REDIS_PASSWORD is used. Errors never echo the password.
 */
export function parseQueueUrl(raw: string, env: NodeJS.ProcessEnv = process.env): QueueUrl {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ParameterError(`--queue: expected redis://[:password@]host[:port][/db], got '${redactUrls(raw)}'.`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new ParameterError(`--queue: expected a redis:// or rediss:// URL, got '${redactUrls(raw)}'.`);
  }
  if (!url.hostname) throw new ParameterError(`--queue: the URL '${redactUrls(raw)}' names no host; e.g. redis://10.0.0.5:6379.`);
  const port = url.port ? Number(url.port) : 6379;
  const path = url.pathname.replace(/^\//, '');
  if (path !== '' && !/^\d{1,2}$/.test(path)) throw new ParameterError(`--queue: the database in '${redactUrls(raw)}' must be a number (redis://host:port/0), got '${path}'.`);
  const password = url.password ? decodeURIComponent(url.password) : env[PASSWORD_ENV] || undefined;
  const username = url.username ? decodeURIComponent(url.username) : undefined;
  const db = path === '' ? 0 : Number(path);
  return {
    connection: {
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port,
      db,
      ...(username ? { username } : {}),
      ...(password ? { password } : {}),
      ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
    },
    display: `${url.protocol}//${username || password ? `${username ?? ''}:***@` : ''}${url.host}/${db}`,
  };
}

/**
 * `text` with the credentials of every URL in it (redis:// or any other scheme a user mistyped)
 * replaced by `***`, and any of `secrets`: every message the cluster code prints or stores passes
 * through this, whatever error text a library produced.
 */
export function redactUrls(text: string, secrets: readonly string[] = []): string {
  let out = text.replace(/([a-z][a-z0-9+.-]*:\/\/)([^@\s/]*)@/gi, (_m, scheme: string, auth: string) => `${scheme}${auth.includes(':') ? `${auth.split(':')[0]}:***` : '***'}@`);
  for (const s of secrets) if (s.length >= 3) out = out.split(s).join('***');
  return out;
}
