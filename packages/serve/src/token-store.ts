import { existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { FileAccessError, FormatError, ParameterError } from '@mixnsqueeze/core';
import { formatDuration } from './duration.ts';
import { checkSqliteFile } from './sqlite-file.ts';
import { newToken, tokenId, tokenMatches } from './token-format.ts';

/** How {@link TokenStore} opens its file. */
export interface TokenStoreOptions {
  /**
   * Create the file and its tables when missing (default true: `serve`, `token create`). False for
   * commands that only read or change existing tokens (`token list`, `token revoke`): a missing
   * file is then a FileAccessError and nothing is created.
   */
  readonly create?: boolean;
}

/** A client as the store knows it (never its token: only a hash of it is stored). */
export interface TokenInfo {
  /** Public id: the part of the token after `mns_`, shown by `token list`. */
  readonly id: string;
  /** The name given at creation (unique in the store). */
  readonly name: string;
  /** Attempts (classified samples) allowed per window. */
  readonly budget: number;
  /** Window length in milliseconds; windows start at the token's creation and follow each other. */
  readonly windowMs: number;
  /** Creation time, ms since the epoch. */
  readonly createdAt: number;
  /** Revocation time, ms since the epoch; undefined while the token is valid. */
  readonly revokedAt: number | undefined;
  /** Attempts spent in the window that contains the time asked about. */
  readonly used: number;
  /** When that window ends and the budget is whole again, ms since the epoch. */
  readonly resetsAt: number;
}

/** The outcome of {@link TokenStore.spend}. */
export type SpendResult =
  | { readonly ok: true; readonly token: TokenInfo; readonly remaining: number }
  | { readonly ok: false; readonly reason: 'unknown' }
  | { readonly ok: false; readonly reason: 'exhausted'; readonly token: TokenInfo; readonly remaining: number };

/** One spend of {@link TokenStore.spendAll}: `n` attempts of `token`'s budget at time `now` (ms since the epoch). */
export interface SpendRequest {
  /** The bearer token as the client sent it. */
  readonly token: string;
  /** Attempts to spend (samples in the request), at least 1. */
  readonly n: number;
  /** When the request arrived; picks the window. */
  readonly now: number;
}

interface TokenRow {
  id: string;
  name: string;
  hash: Buffer;
  budget: number;
  window_ms: number;
  created_at: number;
  revoked_at: number | null;
}

const KIND = 'mixnsqueeze-tokens/v1';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  hash BLOB NOT NULL,
  budget INTEGER NOT NULL,
  window_ms INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
);
CREATE TABLE IF NOT EXISTS spends (
  token_id TEXT NOT NULL REFERENCES tokens(id),
  window_start INTEGER NOT NULL,
  used INTEGER NOT NULL,
  PRIMARY KEY (token_id, window_start)
);
`;

/** Start of the window that holds `now`: windows of `windowMs` follow each other from creation. */
function windowStart(row: TokenRow, now: number): number {
  return row.created_at + Math.floor(Math.max(0, now - row.created_at) / row.window_ms) * row.window_ms;
}

/** The longest name accepted: names are shown in lists and logs. */
const MAX_NAME = 64;

/**
 * Clients, their bearer tokens (as SHA-256 hashes) and the attempts they spent, in an SQLite file
 * (better-sqlite3, WAL, synchronous FULL). {@link TokenStore.spend} checks and records a spend in
 * one `BEGIN IMMEDIATE` transaction, committed to disk before it returns: the caller runs the model
 * and answers only after, so neither a crash nor a restart gives an attempt back, and concurrent
 * requests (in this process or in others on the same file) cannot overspend.
 */
export class TokenStore {
  readonly #db: Database.Database;
  readonly #byId: Database.Statement<[string], TokenRow>;
  readonly #used: Database.Statement<[string, number], { used: number }>;
  readonly #addUsed: Database.Statement<[string, number, number]>;
  readonly #spendAll: (requests: readonly SpendRequest[]) => SpendResult[];

  /**
   * Opens the store, creating the file and its tables when missing (unless `create` is false). A
   * file that is not a token store (not SQLite, or another schema) is refused with a FormatError
   * before anything in it changes.
   * @param path Path of the SQLite file.
   * @param options See {@link TokenStoreOptions}.
   */
  constructor(
    readonly path: string,
    options: TokenStoreOptions = {},
  ) {
    const create = options.create ?? true;
    if (!create && !existsSync(path)) {
      throw new FileAccessError(`no token database at '${path}'; create a token first with 'mixnsqueeze token create <name> --budget <n> --window <duration> --db ${path}'.`);
    }
    if (existsSync(path) && statSync(path).isDirectory()) throw new FileAccessError(`--db '${path}' is a directory; pass a file path.`);
    const dir = dirname(path);
    if (!existsSync(dir)) throw new FileAccessError(`--db '${path}': the folder '${dir}' does not exist; create it first or pass another path.`);
    if (!statSync(dir).isDirectory()) throw new FileAccessError(`--db '${path}': '${dir}' is a file, not a folder; pass another path.`);
    checkSqliteFile(path, 'a token database');
    let db: Database.Database;
    try {
      db = new Database(path, { fileMustExist: !create });
    } catch (e) {
      throw new FileAccessError(`token database '${path}' cannot be opened: ${(e as Error).message}. Check the path and its permissions.`);
    }
    try {
      TokenStore.#checkSchema(db, path);
      db.pragma('journal_mode = WAL');
      // FULL: a committed spend survives power loss, not only a crash of the process.
      db.pragma('synchronous = FULL');
      // Another process (`token create` beside a running server) may hold the write lock briefly.
      db.pragma('busy_timeout = 5000');
      db.exec(SCHEMA);
      db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run('kind', KIND);
    } catch (e) {
      db.close();
      if (e instanceof FormatError) throw e;
      throw new FileAccessError(`token database '${path}' cannot be used: ${(e as Error).message}. Check the path and its permissions.`);
    }
    this.#db = db;
    this.#byId = db.prepare('SELECT * FROM tokens WHERE id = ?');
    this.#used = db.prepare('SELECT used FROM spends WHERE token_id = ? AND window_start = ?');
    this.#addUsed = db.prepare(
      'INSERT INTO spends (token_id, window_start, used) VALUES (?, ?, ?) ON CONFLICT (token_id, window_start) DO UPDATE SET used = used + excluded.used',
    );
    const one = (token: string, n: number, now: number): SpendResult => {
      const row = this.#find(token);
      if (!row) return { ok: false, reason: 'unknown' };
      const start = windowStart(row, now);
      const used = this.#used.get(row.id, start)?.used ?? 0;
      if (used + n > row.budget) return { ok: false, reason: 'exhausted', token: this.#info(row, used, start), remaining: row.budget - used };
      this.#addUsed.run(row.id, start, n);
      return { ok: true, token: this.#info(row, used + n, start), remaining: row.budget - used - n };
    };
    // Each spend sees the ones before it in the same transaction: a batch is as exact as one by one.
    const all = db.transaction((requests: readonly SpendRequest[]): SpendResult[] => requests.map((r) => one(r.token, r.n, r.now)));
    this.#spendAll = (requests) => all.immediate(requests);
  }

  /** A database with tables but without this store's marker is someone else's: refused untouched. */
  static #checkSchema(db: Database.Database, path: string): void {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
    if (tables.length === 0) return;
    const kind = tables.includes('meta') ? (db.prepare("SELECT value FROM meta WHERE key = 'kind'").pluck().get() as string | undefined) : undefined;
    if (kind !== KIND) {
      throw new FormatError(`'${path}' is an SQLite database but not a token database (tables: ${tables.slice(0, 5).join(', ')}); pass the --db that 'mixnsqueeze token create' wrote, or a new path.`);
    }
  }

  #find(token: string): TokenRow | undefined {
    const id = tokenId(token);
    const row = id === undefined ? undefined : this.#byId.get(id);
    if (!row || row.revoked_at !== null || !tokenMatches(token, row.hash)) return undefined;
    return row;
  }

  #info(row: TokenRow, used: number, start: number): TokenInfo {
    return {
      id: row.id,
      name: row.name,
      budget: row.budget,
      windowMs: row.window_ms,
      createdAt: row.created_at,
      revokedAt: row.revoked_at ?? undefined,
      used,
      resetsAt: start + row.window_ms,
    };
  }

  /**
   * Creates a client and returns its bearer token: the only time the token exists in clear.
   * @param name Unique name of the client (1-64 characters: letters, digits, `.`, `_`, `-`, `@`).
   * @param budget Attempts (classified samples) allowed per window, a positive integer.
   * @param windowMs Window length in milliseconds (see `parseDuration`).
   * @param now Creation time (ms since the epoch); windows count from it.
   */
  create(name: string, budget: number, windowMs: number, now = Date.now()): { token: string; info: TokenInfo } {
    if (!/^[A-Za-z0-9._@-]+$/.test(name) || name.length > MAX_NAME) {
      throw new ParameterError(`token name '${name}' is not allowed; use 1-${MAX_NAME} letters, digits, '.', '_', '-' or '@'.`);
    }
    if (!Number.isSafeInteger(budget) || budget < 1) throw new ParameterError(`--budget ${budget}: expected a positive integer.`);
    if (!Number.isSafeInteger(windowMs) || windowMs < 1_000) throw new ParameterError(`--window: expected at least 1s, got ${windowMs} ms.`);
    if (this.#db.prepare('SELECT 1 FROM tokens WHERE name = ?').get(name)) {
      throw new ParameterError(`a token named '${name}' exists already (revoked tokens keep their name); choose another name.`);
    }
    const t = newToken();
    this.#db.prepare('INSERT INTO tokens (id, name, hash, budget, window_ms, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(t.id, name, t.hash, budget, windowMs, now);
    return { token: t.token, info: this.#info(this.#byId.get(t.id)!, 0, now) };
  }

  /** Every client, revoked ones included, with what it spent in its current window, oldest first. */
  list(now = Date.now()): TokenInfo[] {
    const rows = this.#db.prepare('SELECT * FROM tokens ORDER BY created_at, name').all() as TokenRow[];
    return rows.map((row) => {
      const start = windowStart(row, now);
      return this.#info(row, this.#used.get(row.id, start)?.used ?? 0, start);
    });
  }

  /**
   * Revokes a client's token: later requests with it are 401. The row stays (its spends are the
   * record); the name cannot be reused.
   * @returns The revoked client.
   */
  revoke(name: string, now = Date.now()): TokenInfo {
    const row = this.#db.prepare('SELECT * FROM tokens WHERE name = ?').get(name) as TokenRow | undefined;
    if (!row) throw new ParameterError(`no token named '${name}'; 'mixnsqueeze token list' shows the names.`);
    if (row.revoked_at !== null) throw new ParameterError(`the token '${name}' was revoked already, at ${new Date(row.revoked_at).toISOString()}.`);
    this.#db.prepare('UPDATE tokens SET revoked_at = ? WHERE id = ?').run(now, row.id);
    return this.#info({ ...row, revoked_at: now }, 0, windowStart(row, now));
  }

  /** The client a valid token belongs to, with its current window, without spending anything. */
  check(token: string, now = Date.now()): TokenInfo | undefined {
    const row = this.#find(token);
    if (!row) return undefined;
    const start = windowStart(row, now);
    return this.#info(row, this.#used.get(row.id, start)?.used ?? 0, start);
  }

  /**
   * Spends `n` attempts of the token's budget for the window that holds `now`, or none: a request
   * that asks for more than remains is refused whole. Checked and recorded in one immediate
   * transaction, committed (synchronous FULL) before this returns.
   */
  spend(token: string, n: number, now = Date.now()): SpendResult {
    return this.spendAll([{ token, n, now }])[0]!;
  }

  /**
   * Several spends in one immediate transaction and one commit (one fsync), each checked after the
   * ones before it: the server groups the spends of concurrent requests this way, so that the
   * disk's sync rate does not cap its request rate. Results in the order of `requests`.
   */
  spendAll(requests: readonly SpendRequest[]): SpendResult[] {
    for (const r of requests) if (!Number.isSafeInteger(r.n) || r.n < 1) throw new ParameterError(`spend: expected a positive number of attempts, got ${r.n}.`);
    return requests.length === 0 ? [] : this.#spendAll(requests);
  }

  /** Closes the database file. */
  close(): void {
    if (this.#db.open) this.#db.close();
  }
}

/** A one-line description of a client for `token list`. */
export function describeToken(t: TokenInfo): string {
  const state = t.revokedAt !== undefined ? `revoked ${new Date(t.revokedAt).toISOString()}` : `${t.budget - t.used} of ${t.budget} left, resets ${new Date(t.resetsAt).toISOString()}`;
  return `${t.name}\t${t.id}\tbudget ${t.budget} per ${formatDuration(t.windowMs)}\t${state}`;
}
