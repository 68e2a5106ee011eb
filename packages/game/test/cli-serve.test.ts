import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMnist, takeSamples } from '@mixnsqueeze/backends';
import { run } from './cli-io.ts';
import { BIN, FROM_SOURCES } from './fixtures/cli-contract/spawn-cli.ts';

/**
 * `mixnsqueeze token` in process, and `mixnsqueeze serve` as a real process: it listens on a free
 * port, answers and refuses as the budget says, and drains and exits 0 on SIGTERM, leaving the
 * spend in the database.
 */

let dir: string;
let db: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mns-cli-serve-'));
  db = join(dir, 'tokens.db');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('mixnsqueeze token', () => {
  it('create prints the token once on stdout; list shows the client without it; revoke marks it', async () => {
    const c = await run('token', 'create', 'alice', '--budget', '3', '--window', '1h', '--db', db);
    expect(c.code, c.err).toBe(0);
    expect(c.out).toMatch(/^mns_[0-9a-f]{12}_[A-Za-z0-9_-]{43}\n$/);
    expect(c.err).toMatch(/created 'alice' \(id [0-9a-f]{12}\): 3 attempts per 1h; the token above is shown only this once/);
    const secret = c.out.trim().split('_')[2]!;
    const l = await run('token', 'list', '--db', db);
    expect(l.out).toMatch(/^alice\t[0-9a-f]{12}\tbudget 3 per 1h\t3 of 3 left, resets \d{4}-/m);
    expect(l.out).not.toContain(secret);
    expect((await run('token', 'create', 'bob', '--budget', '1', '--window', '7d', '--db', db)).code).toBe(0);
    const r = await run('token', 'revoke', 'bob', '--db', db);
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse((await run('token', 'list', '--db', db, '--json')).out) as { name: string; revokedAt?: number; attemptsLeft: number }[];
    expect(j.map((t) => [t.name, t.revokedAt !== undefined, t.attemptsLeft])).toEqual([
      ['alice', false, 3],
      ['bob', true, 1],
    ]);
  });
});

/** Spawns `mixnsqueeze serve` from the sources and resolves with its URL once it listens. */
function startServe(args: string[]): Promise<{ child: ChildProcess; url: string; err: () => string; exit: Promise<number | null> }> {
  const child = spawn(process.execPath, [...FROM_SOURCES, BIN, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.resume();
  let err = '';
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /listening on (http:\/\/\S+) .*\n/.exec(err);
      if (m) resolve({ child, url: m[1]!, err: () => err, exit });
    });
    void exit.then((code) => reject(new Error(`serve exited with ${code} before listening: ${err}`)));
  });
}

describe('mixnsqueeze serve', () => {
  it('serves until the budget is spent, drains on SIGTERM and exits 0; the spend stays in the database', async () => {
    const token = (await run('token', 'create', 'carol', '--budget', '2', '--window', '1h', '--db', db)).out.trim();
    const s = await startServe(['--model', 'mnist', '--defense', 'uniform:0.5', '--defense', 'median:2x2', '--db', db, '--port', '0', '--no-log']);
    try {
      expect(s.err()).toMatch(/mnist behind uniform:0\.5 \+ median:2x2, labels only, 2 active tokens/);
      const x = takeSamples(loadMnist('test'), 1).x;
      const send = (): Promise<Response> =>
        fetch(`${s.url}/v1/classify`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ shape: x.shape, data: Array.from(x.data) }),
        });
      const first = await send();
      expect(first.status).toBe(200);
      expect(await first.json()).toMatchObject({ labels: [7], attemptsLeft: 1 });
      expect((await send()).status).toBe(200);
      const third = await send();
      expect(third.status).toBe(429);
      expect(((await third.json()) as { error: string }).error).toMatch(/0 of 2 attempts left/);
      s.child.kill('SIGTERM');
      expect(await s.exit).toBe(0);
      expect(s.err()).toMatch(/SIGTERM: draining the requests in flight\n.*stopped\n$/s);
    } finally {
      s.child.kill('SIGKILL');
    }
    const l = await run('token', 'list', '--db', db);
    expect(l.out).toMatch(/^carol\t.*\t0 of 2 left/m);
  });
});
