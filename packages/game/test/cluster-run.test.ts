import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coordinateRun } from '../src/cluster/coordinator.ts';
import { parseQueueUrl } from '../src/cluster/queue-url.ts';
import { cellGraph } from '../src/experiment/cells.ts';
import { parseConfig } from '../src/experiment/config.ts';
import { ResultStore } from '../src/experiment/result-store.ts';
import { countLines, localCells, startWorker, stopProc, storedCells, tmp, type Proc } from './cluster-harness.ts';
import { NO_REDIS, REDIS_SERVER, type TestRedis, startRedis } from './cluster-redis.ts';
import { input, seeded } from './tiny-experiment.ts';

describe.skipIf(!REDIS_SERVER)(`cluster: a run spread over worker processes${REDIS_SERVER ? '' : ` (skipped: ${NO_REDIS})`}`, () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('two workers store the cells of a local run, bit for bit, each computed once', async () => {
    const dir = tmp();
    const count = join(dir, 'count');
    const workers: Proc[] = [];
    try {
      workers.push(...(await Promise.all([startWorker({ MNS_QUEUE: redis.url, MNS_COUNT_FILE: count }), startWorker({ MNS_QUEUE: redis.url, MNS_COUNT_FILE: count })])));
      const config = seeded(parseConfig(input));
      const store = new ResultStore(join(dir, 'r.db'));
      store.openRun('two-workers', config, {});
      const stages: string[] = [];
      const summary = await coordinateRun({ url: parseQueueUrl(redis.url), store, runId: 'two-workers', config, progress: (s) => stages.push(s) });
      store.close();
      expect(storedCells(join(dir, 'r.db'), 'two-workers')).toBe(await localCells());
      const keys = cellGraph(config).map((c) => c.key).filter((k) => k !== 'done');
      expect(summary.received).toBe(keys.length);
      expect(countLines(count).sort()).toEqual([...keys, 'done'].sort());
      // Both processes took cells: the grid was spread.
      for (const w of workers) expect(w.out).toMatch(/computing /);
      expect(new Set(stages)).toEqual(new Set(['cells', 'running']));
    } finally {
      await Promise.all(workers.map((w) => stopProc(w)));
    }
  });
});
