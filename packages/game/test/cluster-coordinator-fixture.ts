/**
 * A cluster coordinator process for the tests: the tiny experiment's config (tiny-experiment.ts)
 * run through the queue into a results database. MNS_QUEUE (URL), MNS_DB (database), MNS_RUN
 * (run id), MNS_FINGERPRINT (the code fingerprint its jobs carry). Prints `stored <key>` as results arrive and `finished` at the end.
 */
import { coordinateRun } from '../src/cluster/coordinator.ts';
import { parseQueueUrl } from '../src/cluster/queue-url.ts';
import { parseConfig } from '../src/experiment/config.ts';
import { ResultStore } from '../src/experiment/result-store.ts';
import { input, seeded } from './tiny-experiment.ts';

const e = process.env;
const store = new ResultStore(e.MNS_DB!);
const config = seeded(parseConfig(input));
store.openRun(e.MNS_RUN!, config, {});
let last = 0;
await coordinateRun({
  url: parseQueueUrl(e.MNS_QUEUE!),
  store,
  runId: e.MNS_RUN!,
  config,
  backoffMs: 100,
  ...(e.MNS_FINGERPRINT ? { fingerprint: e.MNS_FINGERPRINT } : {}),
  progress: (stage, done) => {
    if (stage !== 'cells' || done <= last) return;
    last = done;
    process.stdout.write(`stored ${done}\n`);
  },
  log: (line) => process.stderr.write(`${line}\n`),
});
store.close();
process.stdout.write('finished\n');
process.exit(0);
