import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ClusterRunError, coordinateRun } from '../src/cluster/coordinator.ts';
import { parseQueueUrl } from '../src/cluster/queue-url.ts';
import { cellGraph } from '../src/experiment/cells.ts';
import { parseConfig } from '../src/experiment/config.ts';
import { ResultStore } from '../src/experiment/result-store.ts';
import { type Proc, countLines, localCells, startCoordinator, startWorker, stopProc, storedCells, tmp } from './cluster-harness.ts';
import { NO_REDIS, REDIS_SERVER, type TestRedis, startRedis } from './cluster-redis.ts';
import { input, seeded } from './tiny-experiment.ts';

const config = seeded(parseConfig(input));
const cells = cellGraph(config).map((c) => c.key);

describe.skipIf(!REDIS_SERVER)(`cluster faults, against a real redis-server${REDIS_SERVER ? '' : ` (skipped: ${NO_REDIS})`}`, () => {
  const procs: Proc[] = [];
  const servers: TestRedis[] = [];
  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => stopProc(p, 'SIGKILL')));
    await Promise.all(servers.splice(0).map((s) => s.stop()));
  });
  const redis = async () => {
    const r = await startRedis();
    servers.push(r);
    return r;
  };
  const worker = async (env: Record<string, string>) => {
    const w = await startWorker(env);
    procs.push(w);
    return w;
  };
  /** Runs the tiny grid through the queue from this process; returns the database path. */
  const coordinate = async (url: string, runId: string, dir: string, extra: Partial<Parameters<typeof coordinateRun>[0]> = {}) => {
    const store = new ResultStore(join(dir, 'r.db'));
    store.openRun(runId, config, {});
    try {
      await coordinateRun({ url: parseQueueUrl(url), store, runId, config, backoffMs: 100, ...extra });
    } finally {
      store.close();
    }
    return join(dir, 'r.db');
  };

  it('a worker SIGKILLed mid-cell: another takes the cell over after stall detection, and the results are a local run\'s', async () => {
    const r = await redis();
    const dir = tmp();
    const count = join(dir, 'count');
    const slow = 'eval/none/0/FGSM';
    const lock = { MNS_QUEUE: r.url, MNS_COUNT_FILE: count, MNS_LOCK_MS: '1500' };
    const doomed = await worker({ ...lock, MNS_SLOW_KEY: slow, MNS_SLOW_MS: '60000' });
    const run = coordinate(r.url, 'killed-worker', dir);
    await doomed.line(new RegExp(`^computing ${slow}$`));
    await stopProc(doomed, 'SIGKILL');
    const heir = await worker(lock);
    const db = await run;
    expect(storedCells(db, 'killed-worker')).toBe(await localCells());
    expect(heir.out).toContain(`computing ${slow}`);
    // The killed worker never finished its cell; every cell was computed to the end once.
    expect(countLines(count).sort()).toEqual([...cells].sort());
  });

  it('the coordinator killed and restarted resumes from the database and the queue: no finished cell is computed again', async () => {
    const r = await redis();
    const dir = tmp();
    const count = join(dir, 'count');
    await worker({ MNS_QUEUE: r.url, MNS_COUNT_FILE: count, MNS_DELAY_MS: '150' });
    const first = startCoordinator({ MNS_QUEUE: r.url, MNS_DB: join(dir, 'r.db'), MNS_RUN: 'killed-coordinator' });
    procs.push(first);
    await first.line(/^stored 5$/);
    await stopProc(first, 'SIGKILL');
    const before = countLines(count);
    expect(before.length).toBeLessThan(cells.length);
    // The worker goes on while no coordinator listens; the restarted one collects what it missed.
    const db = await coordinate(r.url, 'killed-coordinator', dir);
    expect(storedCells(db, 'killed-coordinator')).toBe(await localCells());
    expect(countLines(count).sort()).toEqual([...cells].sort());
  });

  it('Redis restarted (append-only file on) loses no finished result: nothing finished is computed again', async () => {
    const r = await redis();
    const dir = tmp();
    const count = join(dir, 'count');
    await worker({ MNS_QUEUE: r.url, MNS_COUNT_FILE: count, MNS_DELAY_MS: '150' });
    let restarted: Promise<void> | undefined;
    let before: string[] = [];
    const db = await coordinate(r.url, 'redis-restart', dir, {
      progress: (stage, done) => {
        if (stage === 'cells' && done >= 6 && !restarted) {
          before = countLines(count);
          restarted = r.restart();
        }
      },
    });
    await restarted;
    // It restarted mid-run: cells were finished before it and computed after it.
    expect(before.length).toBeGreaterThan(0);
    expect(before.length).toBeLessThan(cells.length);
    expect(storedCells(db, 'redis-restart')).toBe(await localCells());
    const after = countLines(count);
    for (const key of before) expect(after.filter((k) => k === key), key).toHaveLength(1);
  });

  it('a cell that fails deterministically is tried a bounded number of times, then the run fails naming it and its error; once fixed, the same command finishes it', async () => {
    const r = await redis();
    const dir = tmp();
    const count = join(dir, 'count');
    const bad = 'eval/none/0.5/FGSM';
    const broken = await worker({ MNS_QUEUE: r.url, MNS_COUNT_FILE: count, MNS_FAIL_KEY: bad });
    const run = coordinate(r.url, 'failing', dir, { attempts: 2 });
    await expect(run).rejects.toThrow(ClusterRunError);
    await expect(run).rejects.toThrow(/cell 'eval\/none\/0.5\/FGSM' failed: injected model error/);
    expect(countLines(count).filter((l) => l === `failed ${bad}`)).toHaveLength(2);
    // What finished is kept; the run is not marked done.
    const store = new ResultStore(join(dir, 'r.db'));
    expect(store.cell('failing', 'done')).toBeUndefined();
    expect(store.cell('failing', bad)).toBeUndefined();
    expect(store.cell('failing', 'seeds')).toBeDefined();
    store.close();
    // The cause fixed (a worker without the fault), the same run again: the failed cell is queued
    // afresh, nothing that finished is computed again, and the results are a local run's.
    await stopProc(broken);
    await worker({ MNS_QUEUE: r.url, MNS_COUNT_FILE: count });
    const before = countLines(count).filter((l) => !l.startsWith('failed '));
    const db = await coordinate(r.url, 'failing', dir, { attempts: 2 });
    expect(storedCells(db, 'failing')).toBe(await localCells());
    const after = countLines(count).filter((l) => !l.startsWith('failed '));
    for (const key of before) expect(after.filter((k) => k === key), key).toHaveLength(1);
    expect(after).toContain(bad);
  });
});
