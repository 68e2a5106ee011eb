/**
 * A cluster worker process for the tests: the tiny experiment's environment (tiny-experiment.ts)
 * behind the real BullMQ worker. Driven by environment variables:
 * MNS_QUEUE (URL), MNS_COUNT_FILE (each computed cell key is appended as a line),
 * MNS_SLOW_KEY/MNS_SLOW_MS (that cell sleeps first), MNS_DELAY_MS (every cell sleeps first),
 * MNS_FAIL_KEY (that cell throws), MNS_FINGERPRINT (pretend other code), MNS_LOCK_MS.
 * Prints `computing <key>` before each cell and `ready` once it takes jobs.
 */
import { appendFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { startCellWorker } from '../src/cluster/cell-worker.ts';
import { parseQueueUrl } from '../src/cluster/queue-url.ts';
import { env } from './tiny-experiment.ts';

const e = process.env;
const lock = e.MNS_LOCK_MS ? Number(e.MNS_LOCK_MS) : undefined;
const worker = await startCellWorker({
  url: parseQueueUrl(e.MNS_QUEUE!),
  environment: async () => ({ env: env(), close: async () => {} }),
  log: (line) => process.stderr.write(`${line}\n`),
  ...(e.MNS_FINGERPRINT ? { fingerprint: e.MNS_FINGERPRINT } : {}),
  ...(lock ? { lockDurationMs: lock, stalledIntervalMs: Math.max(200, lock / 3) } : {}),
  beforeCell: async (key) => {
    process.stdout.write(`computing ${key}\n`);
    if (e.MNS_DELAY_MS) await sleep(Number(e.MNS_DELAY_MS));
    if (key === e.MNS_SLOW_KEY) await sleep(Number(e.MNS_SLOW_MS ?? 5000));
    if (key === e.MNS_FAIL_KEY) {
      if (e.MNS_COUNT_FILE) appendFileSync(e.MNS_COUNT_FILE, `failed ${key}\n`);
      throw new Error('injected model error');
    }
  },
  onComputed: (key) => {
    if (e.MNS_COUNT_FILE) appendFileSync(e.MNS_COUNT_FILE, `${key}\n`);
  },
});
process.stdout.write('ready\n');
const stop = async () => {
  await worker.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
