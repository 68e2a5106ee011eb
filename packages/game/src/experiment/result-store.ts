import Database from 'better-sqlite3';
import { FileAccessError } from '@mixnsqueeze/core';

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

  /**
   * Opens the database, creating the file and its tables when missing.
   * @param path Path of the SQLite file.
   */
  constructor(readonly path: string) {
    try {
      this.#db = new Database(path);
    } catch (e) {
      throw new FileAccessError(`results database '${path}' cannot be opened: ${(e as Error).message}. Check the path.`);
    }
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = FULL');
    this.#db.exec(`
      CREATE TABLE IF NOT EXISTS runs (id TEXT PRIMARY KEY, config TEXT NOT NULL, created_at TEXT NOT NULL, versions TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS cells (
        run_id TEXT NOT NULL REFERENCES runs(id), key TEXT NOT NULL, result TEXT NOT NULL,
        elapsed_ms REAL NOT NULL, finished_at TEXT NOT NULL, PRIMARY KEY (run_id, key));
    `);
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
  }
}
