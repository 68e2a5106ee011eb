import { existsSync, rmSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { FileAccessError, FormatError, sqliteFileKind } from '@mixnsqueeze/core';

/** How {@link ResultStore} opens its file. */
export interface ResultStoreOptions {
  /** Open for reading only (commands that only read: `report`); the file must exist and is never modified. */
  readonly readonly?: boolean;
}

/** The columns each table of a results database must have. */
const SCHEMA: Readonly<Record<string, readonly string[]>> = {
  runs: ['id', 'config', 'created_at', 'versions'],
  cells: ['run_id', 'key', 'result', 'elapsed_ms', 'finished_at'],
};

/** Refuses, before SQLite touches it, a file that is not an SQLite database at all. */
function checkMagic(path: string): void {
  if (sqliteFileKind(path) === 'foreign') {
    throw new FormatError(`'${path}' is not a results database (not an SQLite file); pass the --db a reproduce run wrote, or a new path.`);
  }
}

/** One stored cell: its key, its JSON result and how long it took. */
export interface CellRecord<T = unknown> {
  readonly key: string;
  readonly result: T;
  readonly elapsedMs: number;
}

export interface RunRecord {
  readonly id: string;
  readonly config: unknown;
  readonly createdAt: string;
  readonly versions: Record<string, string>;
}

/**
 * Experiment results in an embedded SQLite database (better-sqlite3, WAL, synchronous FULL): every
 * cell is committed the moment it finishes, so an interrupted run (Ctrl-C, kill -9, power loss)
 * loses at most the cell in flight and resumes from the rest.
 */
export class ResultStore {
  readonly #db: Database.Database;
  /** WAL side files a read-only open created (SQLite cannot remove them itself): removed on close. */
  readonly #sideFiles: string[] = [];

  /**
   * Opens the database, creating the file and its tables when missing (unless read-only). A file
   * that is not this project's database (another SQLite schema, a damaged or truncated file, not
   * SQLite at all) is refused with a FormatError before anything in it changes.
   * @param path Path of the SQLite file.
   * @param options `readonly` for commands that only read.
   */
  constructor(
    readonly path: string,
    options: ResultStoreOptions = {},
  ) {
    const readonly = options.readonly ?? false;
    checkMagic(path);
    if (readonly) this.#sideFiles.push(...[`${path}-wal`, `${path}-shm`].filter((f) => !existsSync(f)));
    try {
      this.#db = new Database(path, { readonly, fileMustExist: readonly });
    } catch (e) {
      throw new FileAccessError(`results database '${path}' cannot be opened: ${(e as Error).message}. Check the path.`);
    }
    try {
      this.#checkSchema();
      if (!readonly) {
        this.#db.pragma('journal_mode = WAL');
        this.#db.pragma('synchronous = FULL');
        this.#db.exec(`
          CREATE TABLE IF NOT EXISTS runs (id TEXT PRIMARY KEY, config TEXT NOT NULL, created_at TEXT NOT NULL, versions TEXT NOT NULL);
          CREATE TABLE IF NOT EXISTS cells (
            run_id TEXT NOT NULL REFERENCES runs(id), key TEXT NOT NULL, result TEXT NOT NULL,
            elapsed_ms REAL NOT NULL, finished_at TEXT NOT NULL, PRIMARY KEY (run_id, key));
        `);
      }
    } catch (e) {
      this.close();
      if (e instanceof FormatError) throw e;
      throw new FormatError(`results database '${path}' is damaged (${(e as Error).message}); restore it from a copy or pass a new --db.`);
    }
  }

  /** An empty database is fine (it gets the tables); one with other tables, or ours with other columns, is not ours. */
  #checkSchema(): void {
    const problems = (this.#db.pragma('quick_check') as { quick_check: string }[]).map((r) => r.quick_check).filter((m) => m !== 'ok');
    if (problems.length > 0) throw new FormatError(`results database '${this.path}' is damaged (${problems[0]}); restore it from a copy or pass a new --db.`);
    const tables = (this.#db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[]).map((t) => t.name);
    if (tables.length === 0) return;
    const foreign = tables.filter((t) => !(t in SCHEMA));
    const wrong = Object.entries(SCHEMA).filter(([table, columns]) => {
      const have = new Set((this.#db.pragma(`table_info(${table})`) as { name: string }[]).map((c) => c.name));
      return !columns.every((c) => have.has(c));
    });
    if (foreign.length > 0 || wrong.length > 0) {
      const what = foreign.length > 0 ? `it has table${foreign.length > 1 ? 's' : ''} ${foreign.slice(0, 5).join(', ')}` : `its ${wrong[0]![0]} table lacks columns`;
      throw new FormatError(`'${this.path}' is an SQLite database but not a mixnsqueeze results database (${what}); pass the --db a reproduce run wrote, or a new path.`);
    }
  }

  /** Creates the run, or returns the stored one (whose config must then equal `config`). */
  openRun(id: string, config: unknown, versions: Record<string, string>): RunRecord {
    const existing = this.run(id);
    if (existing) return existing;
    const createdAt = new Date().toISOString();
    this.#db.prepare('INSERT INTO runs (id, config, created_at, versions) VALUES (?, ?, ?, ?)').run(id, JSON.stringify(config), createdAt, JSON.stringify(versions));
    return { id, config, createdAt, versions };
  }

  /** The stored run with this id, or undefined. */
  run(id: string): RunRecord | undefined {
    const row = this.#db.prepare('SELECT id, config, created_at, versions FROM runs WHERE id = ?').get(id) as
      | { id: string; config: string; created_at: string; versions: string }
      | undefined;
    return row && { id: row.id, config: JSON.parse(row.config), createdAt: row.created_at, versions: JSON.parse(row.versions) };
  }

  /** Every stored run, oldest first. */
  runs(): RunRecord[] {
    const rows = this.#db.prepare('SELECT id FROM runs ORDER BY created_at').all() as { id: string }[];
    return rows.map((r) => this.run(r.id)!);
  }

  /** The stored result of one cell of a run, or undefined. */
  cell<T>(runId: string, key: string): CellRecord<T> | undefined {
    const row = this.#db.prepare('SELECT key, result, elapsed_ms FROM cells WHERE run_id = ? AND key = ?').get(runId, key) as
      | { key: string; result: string; elapsed_ms: number }
      | undefined;
    return row && { key: row.key, result: JSON.parse(row.result) as T, elapsedMs: row.elapsed_ms };
  }

  /** The stored cells of a run whose key starts with `prefix`, in the order they were stored. */
  cells<T>(runId: string, prefix = ''): CellRecord<T>[] {
    const rows = this.#db
      .prepare("SELECT key, result, elapsed_ms FROM cells WHERE run_id = ? AND key LIKE ? ESCAPE '\\' ORDER BY rowid")
      .all(runId, `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`) as { key: string; result: string; elapsed_ms: number }[];
    return rows.map((r) => ({ key: r.key, result: JSON.parse(r.result) as T, elapsedMs: r.elapsed_ms }));
  }

  /** Commits one finished cell (durably, before returning). */
  putCell(runId: string, key: string, result: unknown, elapsedMs: number): void {
    this.#db
      .prepare('INSERT OR REPLACE INTO cells (run_id, key, result, elapsed_ms, finished_at) VALUES (?, ?, ?, ?, ?)')
      .run(runId, key, JSON.stringify(result), elapsedMs, new Date().toISOString());
  }

  /**
   * The cell's stored result, or computes it, stores it and returns it. The computation must be a
   * pure function of the run's seed and the key, so a resumed run equals an uninterrupted one.
   */
  async memo<T>(runId: string, key: string, compute: () => Promise<T>): Promise<{ result: T; cached: boolean }> {
    const hit = this.cell<T>(runId, key);
    if (hit) return { result: hit.result, cached: true };
    const t0 = performance.now();
    const result = await compute();
    this.putCell(runId, key, result, performance.now() - t0);
    return { result, cached: false };
  }

  /** Closes the database. */
  close(): void {
    this.#db.close();
    // Only files this open created, and only while no writer has put anything in the WAL.
    const wal = `${this.path}-wal`;
    if (existsSync(wal) && statSync(wal).size > 0) return;
    for (const f of this.#sideFiles) rmSync(f, { force: true });
  }
}
