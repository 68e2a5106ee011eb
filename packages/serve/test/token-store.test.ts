import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { TokenStore, describeToken, formatDuration, parseDuration } from '../src/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'mns-tokens-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let k = 0;
const fresh = (): string => join(dir, `t${k++}.db`);

describe('TokenStore', () => {
  it('stores only a hash: the token appears nowhere in the file', () => {
    const path = fresh();
    const store = new TokenStore(path);
    const { token, info } = store.create('alice', 10, 3_600_000);
    expect(token).toMatch(/^mns_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    expect(info).toMatchObject({ name: 'alice', budget: 10, used: 0 });
    store.close();
    const bytes = readFileSync(path).toString('latin1') + (existsSync(`${path}-wal`) ? readFileSync(`${path}-wal`).toString('latin1') : '');
    expect(bytes).not.toContain(token.split('_')[2]!);
    expect(new TokenStore(path).check(token)?.name).toBe('alice');
  });

  it('spends exactly, refuses a spend larger than what is left whole, and counts per window', () => {
    const store = new TokenStore(fresh());
    const t0 = Date.UTC(2030, 0, 1);
    const { token } = store.create('bob', 5, 60_000, t0);
    expect(store.spend(token, 3, t0 + 1)).toMatchObject({ ok: true, remaining: 2 });
    expect(store.spend(token, 3, t0 + 2)).toMatchObject({ ok: false, reason: 'exhausted', remaining: 2 });
    expect(store.spend(token, 2, t0 + 3)).toMatchObject({ ok: true, remaining: 0 });
    const out = store.spend(token, 1, t0 + 59_999);
    expect(out).toMatchObject({ ok: false, reason: 'exhausted', remaining: 0 });
    expect(out.ok === false && out.reason === 'exhausted' && out.token.resetsAt).toBe(t0 + 60_000);
    expect(store.spend(token, 1, t0 + 60_000)).toMatchObject({ ok: true, remaining: 4 });
    expect(store.spend('mns_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 1)).toEqual({ ok: false, reason: 'unknown' });
    // The right id with a wrong secret is as unknown as any other token.
    expect(store.spend(`${token.slice(0, 17)}${'A'.repeat(43)}`, 1)).toEqual({ ok: false, reason: 'unknown' });
    store.close();
  });

  it('spendAll: one transaction, each spend checked after the ones before it', () => {
    const store = new TokenStore(fresh());
    const a = store.create('ann', 3, 60_000, 0).token;
    const b = store.create('ben', 1, 60_000, 0).token;
    const out = store.spendAll([
      { token: a, n: 2, now: 1 },
      { token: b, n: 1, now: 1 },
      { token: a, n: 2, now: 2 },
      { token: a, n: 1, now: 3 },
      { token: b, n: 1, now: 3 },
    ]);
    expect(out.map((r) => (r.ok ? `ok ${r.remaining}` : r.reason))).toEqual(['ok 1', 'ok 0', 'exhausted', 'ok 0', 'exhausted']);
    expect(store.check(a, 4)!.used).toBe(3);
    store.close();
  });

  it('revokes by name; a revoked token spends nothing; the name stays taken', () => {
    const store = new TokenStore(fresh());
    const { token } = store.create('carol', 5, 60_000);
    store.revoke('carol');
    expect(store.spend(token, 1)).toEqual({ ok: false, reason: 'unknown' });
    expect(store.check(token)).toBeUndefined();
    expect(() => store.revoke('carol')).toThrow(/revoked already/);
    expect(() => store.revoke('dave')).toThrow(/no token named 'dave'/);
    expect(() => store.create('carol', 5, 60_000)).toThrow(/exists already/);
    expect(describeToken(store.list()[0]!)).toMatch(/^carol\t[0-9a-f]{12}\tbudget 5 per 1m\trevoked /);
    store.close();
  });

  it('refuses bad names, budgets and windows', () => {
    const store = new TokenStore(fresh());
    expect(() => store.create('a b', 5, 60_000)).toThrow(/not allowed/);
    expect(() => store.create('x'.repeat(65), 5, 60_000)).toThrow(/not allowed/);
    expect(() => store.create('ok', 0, 60_000)).toThrow(/positive integer/);
    expect(() => store.create('ok', 1.5, 60_000)).toThrow(/positive integer/);
    store.close();
  });

  it('without create, a missing file is an error and no file is made', () => {
    const path = fresh();
    expect(() => new TokenStore(path, { create: false })).toThrow(/no token database/);
    expect(existsSync(path)).toBe(false);
  });

  it('refuses, untouched, a file that is not SQLite and an SQLite file of another schema', () => {
    const text = fresh();
    writeFileSync(text, 'x'.repeat(200));
    expect(() => new TokenStore(text)).toThrow(/not a token database \(not an SQLite file\)/);
    expect(readFileSync(text, 'utf8')).toBe('x'.repeat(200));
    const foreign = fresh();
    const db = new Database(foreign);
    db.exec('CREATE TABLE runs (id TEXT)');
    db.close();
    const before = readFileSync(foreign);
    expect(() => new TokenStore(foreign)).toThrow(/not a token database \(tables: runs\)/);
    expect(readFileSync(foreign).equals(before)).toBe(true);
  });

  it('a --db in a missing folder or naming a folder is refused', () => {
    expect(() => new TokenStore(join(dir, 'nope', 't.db'))).toThrow(/does not exist/);
    expect(() => new TokenStore(dir)).toThrow(/is a directory/);
  });
});

describe('durations', () => {
  it('reads whole numbers with a unit and writes them back', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('15m')).toBe(900_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('7d')).toBe(604_800_000);
    for (const ms of [30_000, 900_000, 3_600_000, 604_800_000]) expect(parseDuration(formatDuration(ms))).toBe(ms);
    expect(() => parseDuration('60')).toThrow(/write a whole number and a unit/);
    expect(() => parseDuration('1.5h')).toThrow(/not a duration/);
    expect(() => parseDuration('0s')).toThrow(/out of range/);
    expect(() => parseDuration('400d')).toThrow(/out of range/);
  });
});
