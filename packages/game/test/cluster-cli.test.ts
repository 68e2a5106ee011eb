import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.ts';
import { BIN, FROM_SOURCES } from './fixtures/cli-contract/spawn-cli.ts';
import { tmp } from './cluster-harness.ts';
import { NO_REDIS, REDIS_SERVER, type TestRedis, startRedis } from './cluster-redis.ts';

const PASSWORD = 'Sesame-2b8e55';

/** A reproduction small enough for seconds: the MNIST model, one attack, three deltas. */
const TINY_MNIST = {
  name: 'cluster-tiny',
  dataset: 'mnist',
  model: 'mnist',
  roundTo: 'uint8',
  seed: '0123456789abcdef0123456789abcdef',
  seeds: 4,
  legitimate: 20,
  repetitions: 3,
  budgets: [1, 2],
  m: 2,
  games: 2,
  attacks: [{ label: 'FGSM', spec: 'fgsm:mnist' }],
  squeezers: [
    { label: 'none', specs: [], deltas: [0], operatingDelta: 0 },
    { label: '1-bit', specs: ['bit-depth:1'], deltas: [0, 0.2], operatingDelta: 0.2 },
  ],
  adaptive: [],
};

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['node', 'mixnsqueeze', ...args], { stdout: (s) => void (out += s), stderr: (s) => void (err += s), interactive: false });
  return { code, out, err };
}

/** Every file under dir (reports, databases and their WAL files). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? filesUnder(join(dir, f)) : [join(dir, f)]));
}

describe.skipIf(!REDIS_SERVER)(`mixnsqueeze reproduce --queue and mixnsqueeze worker${REDIS_SERVER ? '' : ` (skipped: ${NO_REDIS})`}`, () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis({ password: PASSWORD });
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('a password-protected queue: the report of a local run, and the password nowhere in output, logs, database or report', async () => {
    const dir = tmp();
    const config = join(dir, 'tiny.json');
    writeFileSync(config, JSON.stringify(TINY_MNIST));
    const local = await cli(['reproduce', 'mnist', '--config', config, '--db', join(dir, 'local.db'), '--out', join(dir, 'local'), '--json']);
    expect(local.code, local.err).toBe(0);

    const worker = spawn(process.execPath, [...FROM_SOURCES, BIN, 'worker', '--queue', redis.url], { stdio: ['ignore', 'pipe', 'pipe'] });
    let workerLog = '';
    worker.stdout.on('data', (d: Buffer) => void (workerLog += d.toString()));
    worker.stderr.on('data', (d: Buffer) => void (workerLog += d.toString()));
    const exited = new Promise<number | null>((resolve) => worker.on('close', resolve));
    let dist: Awaited<ReturnType<typeof cli>>;
    try {
      dist = await cli(['reproduce', 'mnist', '--config', config, '--db', join(dir, 'dist.db'), '--out', join(dir, 'dist'), '--json', '--queue', redis.url]);
    } finally {
      worker.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(dist.code, dist.err).toBe(0);
    const tables = (r: { out: string }) => (JSON.parse(r.out) as { tables: unknown }).tables;
    expect(tables(dist)).toEqual(tables(local));
    // The same report, but for when the run started and how long its stages took.
    const report = (d: string) => readFileSync(join(dir, d, 'report.md'), 'utf8').replace(/^- (run: .*started|compute time per stage).*$/gm, '');
    expect(report('dist')).toBe(report('local'));
    expect(dist.err).toContain('redis://:***@127.0.0.1');
    expect(workerLog).toMatch(/eval\/1-bit\/0\.2\/FGSM in/);
    for (const text of [dist.out, dist.err, workerLog]) expect(text).not.toContain(PASSWORD);
    for (const f of filesUnder(dir)) expect(readFileSync(f).includes(PASSWORD), f).toBe(false);
  });

  it('bad queue URLs and an unreachable Redis exit 2 at once, without the password', async () => {
    const bad = await cli(['worker', '--queue', `http://:${PASSWORD}@127.0.0.1:${redis.port}`]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--queue: expected a redis:\/\/ or rediss:\/\/ URL/);
    const wrong = await cli(['worker', '--queue', `redis://:not-${PASSWORD}@127.0.0.1:${redis.port}`]);
    expect(wrong.code).toBe(2);
    expect(wrong.err).toMatch(/cannot use the queue at redis:\/\/:\*\*\*@127\.0\.0\.1/);
    for (const text of [bad.err, wrong.err]) expect(text).not.toContain(PASSWORD);
  });
});
