import { copyFileSync, existsSync, mkdtempSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { FormatError } from '@mixnsqueeze/core';
import { BUILTIN_CONFIGS, builtinConfig } from '../src/experiment/builtin-configs.ts';
import { parseConfig } from '../src/experiment/config.ts';
import { attackSeedOf, freshMasterSeed, parseMasterSeed } from '../src/experiment/master-seed.ts';
import { ResultStore } from '../src/experiment/result-store.ts';
import { runIdOf } from '../src/experiment/run-id.ts';
import { settleRun } from '../src/experiment/settle-run.ts';
import { loadReportData } from '../src/report/report-data.ts';
import { writeReport } from '../src/report/render-report.ts';
import { allCells, input } from './tiny-experiment.ts';
import { run } from './cli-io.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'mns-seed-'));

describe('master seeds', () => {
  it('are drawn fresh from the OS: 128 bits of hex, never twice the same', () => {
    const seeds = Array.from({ length: 64 }, freshMasterSeed);
    for (const s of seeds) expect(s).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(seeds).size).toBe(64);
  });

  it('no built-in config carries a seed written in the source', () => {
    for (const [name, c] of Object.entries(BUILTIN_CONFIGS)) expect(c.seed, name).toBeUndefined();
  });

  it('a user-given seed must have at least 128 bits of hex', () => {
    expect(() => parseMasterSeed('--seed', '0')).toThrow(/--seed: expected a master seed of at least 32 hex digits/);
    expect(() => parseMasterSeed('--seed', 'z'.repeat(40))).toThrow(/hex/);
    expect(parseMasterSeed('--seed', 'AB'.repeat(16))).toBe('ab'.repeat(16));
  });

  it("attack seeds derive one-way: stable, distinct per cell, and never contain the master seed", () => {
    const master = 'aa'.repeat(16);
    expect(attackSeedOf(master, 'attack/FGSM')).toBe(attackSeedOf(master, 'attack/FGSM'));
    expect(attackSeedOf(master, 'attack/FGSM')).not.toBe(attackSeedOf(master, 'attack/BIM'));
    expect(attackSeedOf(master, 'attack/FGSM')).not.toBe(attackSeedOf('ab'.repeat(16), 'attack/FGSM'));
    expect(attackSeedOf(master, 'attack/FGSM')).toMatch(/^[0-9a-f]{32}$/);
    expect(attackSeedOf(master, 'attack/FGSM')).not.toContain(master.slice(0, 8));
  });

  it("replaying the committed MNIST run's seed gives its run id: the committed database resumes", () => {
    const settled = settleRun(new ResultStore(join(tmp(), 'r.db')), builtinConfig('mnist-paper'), '6d69786e73717565657a652d6d6e697374');
    expect(settled).toMatchObject({ runId: 'mnist-paper-cad51145', origin: 'replayed' });
  });
});

describe('settling a run', () => {
  const grid = () => {
    const { seed: _seed, ...rest } = parseConfig(input);
    return rest;
  };

  it('draws a fresh seed for a new grid, and every fresh run is a new run', () => {
    const store = new ResultStore(join(tmp(), 'r.db'));
    const a = settleRun(store, grid());
    const b = settleRun(store, grid());
    expect(a.origin).toBe('fresh');
    expect(a.config.seed).not.toBe(b.config.seed);
    expect(a.runId).not.toBe(b.runId);
    store.close();
  });

  it('resumes the latest unfinished run of the same grid with its stored seed, never a finished one or another grid', () => {
    const store = new ResultStore(join(tmp(), 'r.db'));
    const first = settleRun(store, grid());
    store.openRun(first.runId, first.config, {});
    const again = settleRun(store, grid());
    expect(again).toMatchObject({ origin: 'resumed', runId: first.runId });
    expect(again.config.seed).toBe(first.config.seed);
    expect(settleRun(store, { ...grid(), repetitions: 3 }).origin).toBe('fresh');
    store.putCell(first.runId, 'done', {}, 0);
    expect(settleRun(store, grid()).origin).toBe('fresh');
    store.close();
  });

  it('--seed replays and a seed in the config is used as written', () => {
    const store = new ResultStore(join(tmp(), 'r.db'));
    const seed = 'cd'.repeat(16);
    const replay = settleRun(store, grid(), seed);
    expect(replay).toMatchObject({ origin: 'replayed', runId: runIdOf({ ...grid(), seed }) });
    expect(settleRun(store, parseConfig(input)).origin).toBe('config');
    store.close();
  });
});

describe('the report shows the master seed only once the run has finished', () => {
  it('withheld in a partial run, shown in a finished one', async () => {
    const dir = tmp();
    const db = join(dir, 'r.db');
    await expect(allCells(db, 5)).rejects.toThrow('simulated crash');
    const partial = new ResultStore(db, { readonly: true });
    const pending = loadReportData(partial, 'run')!;
    partial.close();
    expect(pending.finished).toBe(false);
    const { markdown: hidden } = await writeReport(pending, join(dir, 'partial'));
    expect(hidden).toContain('withheld until the run has finished');
    expect(hidden).not.toContain(input.seed!);
    await allCells(db);
    const done = new ResultStore(db, { readonly: true });
    const finished = loadReportData(done, 'run')!;
    done.close();
    expect(finished.finished).toBe(true);
    expect((await writeReport(finished, join(dir, 'done'))).markdown).toContain(`--seed ${input.seed}`);
  });
});

describe('the results database refuses what is not its own, and changes nothing', () => {
  it('an unrelated SQLite file is refused, byte for byte untouched, even by a writer', () => {
    const path = join(tmp(), 'other.db');
    const other = new Database(path);
    other.exec("CREATE TABLE people (name TEXT); INSERT INTO people VALUES ('ada');");
    other.close();
    const before = readFileSync(path);
    for (const readonly of [true, false]) {
      expect(() => new ResultStore(path, { readonly })).toThrow(FormatError);
      expect(() => new ResultStore(path, { readonly })).toThrow(/not a mixnsqueeze results database \(it has table people\)/);
    }
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(existsSync(`${path}-wal`)).toBe(false);
  });

  it('a file that is not SQLite, and a truncated database, are FormatErrors', async () => {
    const dir = tmp();
    const text = join(dir, 'notes.db');
    writeFileSync(text, 'x'.repeat(4096));
    expect(() => new ResultStore(text)).toThrow(/not an SQLite file/);
    const db = join(dir, 'r.db');
    await allCells(db);
    const store = new ResultStore(db);
    store.close();
    const cut = join(dir, 'cut.db');
    copyFileSync(db, cut);
    truncateSync(cut, Math.floor(statSync(cut).size / 2));
    expect(() => new ResultStore(cut, { readonly: true })).toThrow(FormatError);
  });

  it('read-only opening needs the file and creates nothing', () => {
    const path = join(tmp(), 'missing.db');
    expect(() => new ResultStore(path, { readonly: true })).toThrow(/cannot be opened/);
    expect(existsSync(path)).toBe(false);
  });

  it('`report --db` on a foreign database exits 2 with one line and leaves it as it was', async () => {
    const path = join(tmp(), 'other.db');
    const other = new Database(path);
    other.exec('CREATE TABLE t (v INTEGER);');
    other.close();
    const before = readFileSync(path);
    const r = await run('report', '--db', path);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/not a mixnsqueeze results database/);
    expect(readFileSync(path).equals(before)).toBe(true);
  });
});

describe('read-only opening leaves no side files', () => {
  it('a report of a WAL database leaves no -wal or -shm behind', async () => {
    const db = join(tmp(), 'r.db');
    await allCells(db);
    expect(existsSync(`${db}-wal`)).toBe(false);
    const store = new ResultStore(db, { readonly: true });
    expect(store.runs()).toHaveLength(1);
    store.close();
    expect(existsSync(`${db}-wal`)).toBe(false);
    expect(existsSync(`${db}-shm`)).toBe(false);
  });
});
