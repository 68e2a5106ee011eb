import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenStore } from '@mixnsqueeze/serve';
import { run } from './cli-io.ts';
import { treeSnapshot } from './fixtures/cli-contract/tree-snapshot.ts';

/**
 * The CLI's contract for bad input (issue 15) for `serve` and `token`: exit status 2, exactly one
 * line on stderr, no stack trace, nothing left behind (no database created, none changed). Rows
 * run in process, each in a fresh directory holding the fixtures it may touch.
 */

interface Row {
  readonly name: string;
  /** The command line; `w` is the row's own directory (with a token db `t.db`, a text file and a foreign db). */
  readonly args: (w: string) => string[];
  readonly says: RegExp;
}

let busy: Server;
let busyPort = 0;

beforeAll(async () => {
  busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  busyPort = (busy.address() as { port: number }).port;
});

const dirs: string[] = [];
afterAll(() => {
  busy.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const serve = (w: string, ...more: string[]): string[] => ['serve', '--model', 'mnist', '--db', join(w, 'new.db'), '--port', '0', ...more];

const ROWS: Record<string, readonly Row[]> = {
  serve: [
    { name: '--seed (keys must be fresh)', args: (w) => serve(w, '--seed', '00112233445566778899aabbccddeeff'), says: /serve refuses --seed/ },
    { name: 'a port out of range', args: (w) => [...serve(w), '--port', '70000'], says: /--port: expected an integer from 0 to 65535, got '70000'/ },
    { name: 'a port that is no number', args: (w) => [...serve(w), '--port', 'http'], says: /--port: expected an integer/ },
    { name: 'a zero --max-batch', args: (w) => serve(w, '--max-batch', '0'), says: /--max-batch: expected an integer from 1/ },
    { name: 'a bad --timeout-ms', args: (w) => serve(w, '--timeout-ms', '1.5'), says: /--timeout-ms/ },
    { name: 'an unknown --reveal', args: (w) => serve(w, '--reveal', 'logits'), says: /--reveal <what>' argument 'logits' is invalid/ },
    { name: 'an unknown --defense', args: (w) => serve(w, '--defense', 'blur:2'), says: /unknown transform 'blur'/ },
    { name: 'a randomizer after a squeezer', args: (w) => serve(w, '--defense', 'median:2x2', '--defense', 'uniform:0.5'), says: /at most one randomizing --defense, first/ },
    { name: 'a missing model file', args: (w) => serve(w).map((a) => (a === 'mnist' ? join(w, 'nope.onnx') : a)), says: /nope\.onnx/ },
    { name: 'no --db', args: () => ['serve', '--model', 'mnist'], says: /required option '--db <file>'/ },
    { name: '--db in a missing folder', args: (w) => ['serve', '--model', 'mnist', '--db', join(w, 'no', 't.db'), '--port', '0'], says: /does not exist/ },
    { name: '--db naming a text file', args: (w) => ['serve', '--model', 'mnist', '--db', join(w, 'notes.txt'), '--port', '0'], says: /not a token database \(not an SQLite file\)/ },
    { name: '--db naming another SQLite database', args: (w) => ['serve', '--model', 'mnist', '--db', join(w, 'results.db'), '--port', '0'], says: /not a token database \(tables: runs\)/ },
    { name: 'a port in use', args: (w) => [...serve(w), '--port', String(busyPort)], says: /--port \d+ on 127\.0\.0\.1 is in use/ },
  ],
  token: [
    { name: 'create with --budget 0', args: (w) => ['token', 'create', 'alice', '--budget', '0', '--window', '1h', '--db', join(w, 'new.db')], says: /--budget: expected a positive integer/ },
    { name: 'create with --budget that is no number', args: (w) => ['token', 'create', 'alice', '--budget', 'lots', '--window', '1h', '--db', join(w, 'new.db')], says: /--budget: expected a positive integer/ },
    { name: 'create with a --window without unit', args: (w) => ['token', 'create', 'alice', '--budget', '5', '--window', '60', '--db', join(w, 'new.db')], says: /--window '60' is not a duration/ },
    { name: 'create with a name that is not allowed', args: (w) => ['token', 'create', 'a b', '--budget', '5', '--window', '1h', '--db', join(w, 'new.db')], says: /token name 'a b' is not allowed/ },
    { name: 'create with a name taken (existing db unchanged)', args: (w) => ['token', 'create', 'taken', '--budget', '5', '--window', '1h', '--db', join(w, 't.db')], says: /named 'taken' exists already/ },
    { name: 'create without --window', args: (w) => ['token', 'create', 'alice', '--budget', '5', '--db', join(w, 'new.db')], says: /required option '--window <duration>'/ },
    { name: 'create with --db in a missing folder', args: (w) => ['token', 'create', 'alice', '--budget', '5', '--window', '1h', '--db', join(w, 'no', 't.db')], says: /does not exist/ },
    { name: 'list with a missing --db (none created)', args: (w) => ['token', 'list', '--db', join(w, 'new.db')], says: /no token database at/ },
    { name: 'list with a foreign SQLite --db', args: (w) => ['token', 'list', '--db', join(w, 'results.db')], says: /not a token database/ },
    { name: 'revoke an unknown name', args: (w) => ['token', 'revoke', 'nobody', '--db', join(w, 't.db')], says: /no token named 'nobody'/ },
    { name: 'revoke with a missing --db', args: (w) => ['token', 'revoke', 'taken', '--db', join(w, 'new.db')], says: /no token database at/ },
  ],
};

/** A row's directory: a token db with one client, a text file, another program's SQLite file. */
function rowDir(): string {
  const w = mkdtempSync(join(tmpdir(), 'mns-serve-contract-'));
  dirs.push(w);
  const store = new TokenStore(join(w, 't.db'));
  store.create('taken', 5, 60_000);
  store.close();
  writeFileSync(join(w, 'notes.txt'), 'not a database\n'.repeat(20));
  const db = new Database(join(w, 'results.db'));
  db.exec('CREATE TABLE runs (id TEXT)');
  db.close();
  return w;
}

for (const [command, rows] of Object.entries(ROWS)) {
  describe(`mixnsqueeze ${command}`, () => {
    it.each(rows.map((r) => [r.name, r] as const))('%s: exit 2, one clear line, nothing left behind', async (_name, row) => {
      const w = rowDir();
      const before = treeSnapshot(w);
      const r = await run(...row.args(w));
      expect(r.code, r.err).toBe(2);
      expect(r.err.endsWith('\n') && r.err.indexOf('\n') === r.err.length - 1, `exactly one line on stderr, got:\n${r.err}`).toBe(true);
      expect(r.err).toMatch(/^mixnsqueeze: error: /);
      expect(r.err).toMatch(row.says);
      expect(r.out).toBe('');
      expect(treeSnapshot(w), 'the directory is as it was').toEqual(before);
    });
  });
}
