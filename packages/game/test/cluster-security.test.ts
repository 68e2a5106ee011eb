import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterRunError, coordinateRun } from '../src/cluster/coordinator.ts';
import { parseQueueUrl, redactUrls } from '../src/cluster/queue-url.ts';
import { reachQueue } from '../src/cluster/reach-queue.ts';
import { parseConfig } from '../src/experiment/config.ts';
import { ResultStore } from '../src/experiment/result-store.ts';
import { type Proc, countLines, startWorker, stopProc, tmp } from './cluster-harness.ts';
import { NO_REDIS, REDIS_SERVER, type TestRedis, startRedis } from './cluster-redis.ts';
import { input, seeded } from './tiny-experiment.ts';

const PASSWORD = 'Sesame-91f3c7';

describe('queue URLs', () => {
  it('parses host, port, db and credentials, and shows the URL without its password', () => {
    const u = parseQueueUrl(`redis://:${PASSWORD}@10.0.0.5:6380/2`, {});
    expect(u.connection).toEqual({ host: '10.0.0.5', port: 6380, db: 2, password: PASSWORD });
    expect(u.display).toBe('redis://:***@10.0.0.5:6380/2');
    expect(parseQueueUrl('redis://queue-host', {}).connection).toEqual({ host: 'queue-host', port: 6379, db: 0 });
    expect(parseQueueUrl('redis://queue-host', { MIXNSQUEEZE_REDIS_PASSWORD: PASSWORD }).connection.password).toBe(PASSWORD);
  });

  it('refuses what is not a redis URL without echoing a password', () => {
    for (const bad of [`http://:${PASSWORD}@host`, `redis://:${PASSWORD}@host/x`, 'not a url']) {
      expect(() => parseQueueUrl(bad, {})).toThrow(/--queue/);
      try {
        parseQueueUrl(bad, {});
      } catch (e) {
        expect((e as Error).message).not.toContain(PASSWORD);
      }
    }
  });

  it('redacts the credentials of every redis URL in a message', () => {
    expect(redactUrls(`failed: redis://user:${PASSWORD}@h:1/0 and rediss://:${PASSWORD}@h2`)).toBe('failed: redis://user:***@h:1/0 and rediss://:***@h2');
  });
});

describe.skipIf(!REDIS_SERVER)(`cluster security, against a real redis-server${REDIS_SERVER ? '' : ` (skipped: ${NO_REDIS})`}`, () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis({ password: PASSWORD });
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('a wrong password or an unreachable Redis is an error at once, without the password', async () => {
    const wrong = parseQueueUrl(`redis://:wrong-${PASSWORD}@127.0.0.1:${redis.port}`, {});
    const err = await reachQueue(wrong).then(() => undefined, (e: Error) => e);
    expect(err?.message).toMatch(/cannot use the queue at redis:\/\/:\*\*\*@127\.0\.0\.1/);
    expect(err?.message).not.toContain(PASSWORD);
    await expect(reachQueue(parseQueueUrl(redis.url, {}))).resolves.toBeUndefined();
  });

  it('a worker whose code fingerprint differs from the run\'s refuses its cells: nothing is computed and the run says why', async () => {
    const dir = tmp();
    const count = join(dir, 'count');
    let stale: Proc | undefined;
    try {
      stale = await startWorker({ MNS_QUEUE: redis.url, MNS_COUNT_FILE: count, MNS_FINGERPRINT: 'f'.repeat(64) });
      const config = seeded(parseConfig(input));
      const store = new ResultStore(join(dir, 'r.db'));
      store.openRun('stale-code', config, {});
      const run = coordinateRun({ url: parseQueueUrl(redis.url, {}), store, runId: 'stale-code', config, backoffMs: 100 });
      await expect(run).rejects.toThrow(ClusterRunError);
      await expect(run).rejects.toThrow(/cell 'seeds' failed: worker refuses .* its code \(fingerprint ffffffffffff\) differs/);
      expect(store.cells('stale-code')).toEqual([]);
      store.close();
      expect(countLines(count)).toEqual([]);
    } finally {
      if (stale) await stopProc(stale);
    }
  });
});
