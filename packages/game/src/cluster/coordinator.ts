import { FlowProducer, type FlowJob, type JobsOptions, Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { MixnsqueezeError } from '@mixnsqueeze/core/errors';
import { type CellNode, cellGraph, cellKey } from '../experiment/cells.ts';
import { type ResultStore } from '../experiment/result-store.ts';
import { type SeededConfig, type StageProgress } from '../experiment/runner.ts';
import { ArtifactStore } from './artifact-store.ts';
import { quietRepeats } from './quiet-log.ts';
import { type CellJobData, type CellJobResult, QUEUE_NAME, QUEUE_PREFIX, clusterFingerprint, gateKey, jobIdOf, runPrefix } from './cell-jobs.ts';
import { type QueueUrl, redactUrls } from './queue-url.ts';
import { reachQueue } from './reach-queue.ts';

/** A distributed run that cannot finish: a cell failed for good (its attempts spent, or refused by every worker). */
export class ClusterRunError extends MixnsqueezeError {
  constructor(message: string) {
    super('E_CLUSTER', message);
  }
}

/** What {@link coordinateRun} needs. */
export interface CoordinateOptions {
  /** The queue's Redis. */
  readonly url: QueueUrl;
  /** The run's results database, opened with the run in it (as for a local run). */
  readonly store: ResultStore;
  /** The run's id. */
  readonly runId: string;
  /** The run's config with its master seed. */
  readonly config: SeededConfig;
  /** Progress of the grid: `cells` (done of all, with ETA) and `running` (of those left). */
  readonly progress?: StageProgress;
  /** Where notes go (failures and retries; never the seed or a password). */
  readonly log?: (line: string) => void;
  /** Attempts per cell before it fails for good (default 3). */
  readonly attempts?: number;
  /** Milliseconds between attempts (default 2000). */
  readonly backoffMs?: number;
  /** The code fingerprint the jobs carry (default {@link clusterFingerprint}). */
  readonly fingerprint?: string;
}

/** How a distributed run went. */
export interface CoordinateSummary {
  /** Cells whose results arrived from workers in this call. */
  readonly received: number;
  /** Cells that were in the database already. */
  readonly stored: number;
}

/**
 * Runs a grid through BullMQ: adds the cells the database lacks as jobs (ids from the run id and
 * cell key, so a cell is never queued twice, also when the coordinator is started again), stores
 * each result in the database the moment it arrives (a cell already stored is kept: memo
 * semantics, as in a local run), and returns when the done cell is stored. The seeds cell goes
 * first; then one flow: `done` waits for every adaptive row, every legitimate classification cell
 * and one gate per attack set, whose child is the attack cell and which, once the set exists, adds
 * the set's classification cells as its own children. A cell that fails for good ends the run
 * with a {@link ClusterRunError} naming it and its error.
 */
export async function coordinateRun(options: CoordinateOptions): Promise<CoordinateSummary> {
  const { store, runId, config, url } = options;
  const log = quietRepeats(options.log ?? (() => {}));
  const progress = options.progress ?? (() => {});
  const graph = cellGraph(config);
  const total = graph.length;
  const storedAtStart = new Set(store.cells(runId).map((c) => c.key));
  if (storedAtStart.has(cellKey.done())) return { received: 0, stored: storedAtStart.size };
  await reachQueue(url);
  const connection = url.connection;
  const queue = new Queue<CellJobData, CellJobResult>(QUEUE_NAME, { connection, prefix: QUEUE_PREFIX });
  const flows = new FlowProducer({ connection, prefix: QUEUE_PREFIX });
  const events = new QueueEvents(QUEUE_NAME, { connection, prefix: QUEUE_PREFIX });
  const redis = new Redis({ ...connection, maxRetriesPerRequest: null });
  const artifacts = new ArtifactStore(redis, QUEUE_PREFIX);
  const connectionError = (e: Error) => log(`queue connection: ${redactUrls(e.message)} (retrying)`);
  queue.on('error', connectionError);
  flows.on('error', connectionError);
  events.on('error', connectionError);
  redis.on('error', connectionError);

  const keyOf = new Map(graph.map((c) => [jobIdOf(runId, c.key), c.key]));
  const running = new Set<string>();
  let received = 0;
  let closing = false;
  let failure: ClusterRunError | undefined;
  let settle: { resolve(): void; reject(e: Error): void } | undefined;
  const finished = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  // Unhandled until awaited; a failure before then must not crash the process.
  finished.catch(() => {});
  let seedsReady: (() => void) | undefined;

  const isStored = (key: string) => store.cell(runId, key) !== undefined;
  const show = () => {
    const done = graph.filter((c) => isStored(c.key)).length;
    progress('cells', done, total);
    progress('running', running.size, Math.max(total - done, running.size));
  };
  /** Stores a cell's result unless the database has it (memo semantics). */
  const accept = (value: unknown) => {
    // Events still in flight while the run closes: the database may be closed by its owner next.
    if (closing) return;
    const r = (typeof value === 'string' ? JSON.parse(value) : value) as CellJobResult | null;
    if (!r || r.result === undefined || !keyOf.has(jobIdOf(runId, r.key))) return;
    running.delete(r.key);
    if (r.key === cellKey.done()) return;
    if (!isStored(r.key)) {
      store.putCell(runId, r.key, r.result, r.elapsedMs);
      received++;
    }
    if (r.key === cellKey.seeds()) seedsReady?.();
    show();
  };
  const fail = (key: string, reason: string | undefined) => {
    if (failure) return;
    failure = new ClusterRunError(
      `run ${runId}: cell '${key}' failed: ${redactUrls(reason ?? 'no reason recorded')}. Fix the cause (the worker logs say more) and run the same command again: stored cells are kept.`,
    );
    log(failure.message);
    settle?.reject(failure);
  };
  /** Takes the results of finished jobs the database lacks (a restarted coordinator missed their events). */
  const harvest = async (failures = true) => {
    for (const c of graph) {
      if (c.kind === 'done' || isStored(c.key)) continue;
      const job = await queue.getJob(jobIdOf(runId, c.key));
      if (!job) continue;
      const state = await job.getState();
      // The job was read before its state: one that finished in between is read again for its result.
      const settled = state === 'completed' || state === 'failed' ? ((await queue.getJob(job.id!)) ?? job) : job;
      if (state === 'completed') accept(settled.returnvalue);
      else if (state === 'failed' && failures) fail(c.key, settled.failedReason);
    }
  };

  events.on('active', ({ jobId }) => {
    const key = keyOf.get(jobId);
    if (key === undefined || key === cellKey.done()) return;
    running.add(key);
    show();
  });
  events.on('completed', ({ jobId, returnvalue }) => {
    if (!keyOf.has(jobId)) return;
    accept(returnvalue);
    if (jobId === jobIdOf(runId, cellKey.done())) settle?.resolve();
  });
  events.on('failed', ({ jobId, failedReason }) => {
    if (!jobId.startsWith(runPrefix(runId))) return;
    // The run may have ended (and its connections closed) before the answer comes: then it is moot.
    void queue
      .getJob(jobId)
      .then(async (job) => {
        if (!job || (await job.getState()) !== 'failed') return;
        // A parent fails with its child: name the child that failed.
        fail(keyOf.get(jobId) ?? decodeURIComponent(jobId.slice(runPrefix(runId).length)), failedReason);
      })
      .catch(() => {});
  });
  // A failed attempt with attempts left waits out its backoff as a delayed job.
  events.on('delayed', ({ jobId }) => {
    const key = keyOf.get(jobId);
    if (key === undefined) return;
    running.delete(key);
    void queue
      .getJob(jobId)
      .then((job) => {
        if (job?.failedReason) log(`cell '${key}' failed attempt ${job.attemptsMade} of ${job.opts.attempts}: ${redactUrls(job.failedReason)}; retrying.`);
      })
      .catch(() => {});
    show();
  });
  events.on('stalled', ({ jobId }) => {
    const key = keyOf.get(jobId);
    if (key === undefined) return;
    running.delete(key);
    log(`cell '${key}' stalled (its worker stopped answering); another worker takes it over.`);
    show();
  });

  const jobOpts: JobsOptions = {
    attempts: options.attempts ?? 3,
    backoff: { type: 'fixed', delay: options.backoffMs ?? 2000 },
    removeOnComplete: false,
    removeOnFail: false,
  };
  const base = { runId, fingerprint: options.fingerprint ?? clusterFingerprint(), config };
  const job = (c: CellNode | { kind: 'gate'; key: string }, extra: Partial<CellJobData> = {}) => ({
    name: c.kind,
    queueName: QUEUE_NAME,
    data: { ...base, kind: c.kind, key: c.key, ...extra } satisfies CellJobData,
    opts: { ...jobOpts, jobId: jobIdOf(runId, c.key), failParentOnFailure: true },
  });

  try {
    await events.waitUntilReady();
    show();
    // A rerun after a failure: the finished cells are taken, and the failed jobs go (with the flow
    // they belonged to), so that the cells are queued afresh.
    if (await anyFailed(queue, runId, graph)) {
      await harvest(false);
      await removeRunJobs(queue, runId, graph);
    }
    await harvest();
    // The seeds first: every other cell carries them.
    if (!isStored(cellKey.seeds())) {
      const ready = new Promise<void>((resolve) => (seedsReady = resolve));
      const seedsNode = graph.find((c) => c.kind === 'seeds')!;
      await queue.add('seeds', job(seedsNode).data, job(seedsNode).opts);
      await harvest();
      if (!isStored(cellKey.seeds())) await Promise.race([ready, finished]);
    }
    const seeds = store.cell<number[]>(runId, cellKey.seeds())!.result;
    const doneId = jobIdOf(runId, cellKey.done());
    if (!(await queue.getJob(doneId))) {
      const flow = await planFlow(graph, (k) => isStored(k) || storedAtStart.has(k), artifacts, runId, config, (c, extra) => job(c, { seeds, ...extra }));
      await flows.add(flow);
    }
    await harvest();
    if (!(await queue.getJob(doneId).then((j) => j?.isCompleted()))) await finished;
    if (failure) throw failure;
    await harvest();
    const missing = graph.filter((c) => c.kind !== 'done' && !isStored(c.key));
    if (missing.length > 0) throw new ClusterRunError(`run ${runId}: the queue finished without the results of ${missing.map((c) => `'${c.key}'`).join(', ')}; run the same command again.`);
    // As in a local run: the done cell computes nothing (its finished_at says when the run ended).
    store.putCell(runId, cellKey.done(), { complete: true }, 0);
    show();
    // The run is in the database: its jobs and set references leave Redis.
    await removeRunJobs(queue, runId, graph).catch(() => {});
    await artifacts.dropRefs(runId, graph.filter((c) => c.kind === 'attack').map((c) => c.key)).catch(() => {});
    return { received, stored: storedAtStart.size };
  } finally {
    closing = true;
    await Promise.allSettled([events.close(), flows.close(), queue.close()]);
    redis.disconnect();
  }
}

/** The flow of the cells not stored yet (see {@link coordinateRun}). */
async function planFlow(
  graph: readonly CellNode[],
  stored: (key: string) => boolean,
  artifacts: ArtifactStore,
  runId: string,
  config: SeededConfig,
  job: (c: CellNode | { kind: 'gate'; key: string }, extra?: Partial<CellJobData>) => { name: string; queueName: string; data: CellJobData; opts: JobsOptions },
): Promise<FlowJob> {
  const children: FlowJob[] = [];
  for (const a of config.attacks) {
    const attack = graph.find((c) => c.kind === 'attack' && c.label === a.label)!;
    const evals = graph.filter((c) => c.kind === 'eval' && c.set === a.label && !stored(c.key)).map((c) => c.key);
    // A stored set whose cells are all stored is not made again; one whose bytes left Redis is.
    const needsSet = !stored(attack.key) || (evals.length > 0 && (await artifacts.ref(runId, attack.key)) === undefined);
    if (!needsSet && evals.length === 0) continue;
    children.push({ ...job({ kind: 'gate', key: gateKey(a.label) }, { evals }), children: needsSet ? [job(attack)] : [] });
  }
  for (const c of graph) {
    if ((c.kind === 'eval' && c.set === 'legitimate') || c.kind === 'adaptive') if (!stored(c.key)) children.push(job(c));
  }
  return { ...job(graph.find((c) => c.kind === 'done')!), children };
}

/** Whether any job of the run has failed for good. */
async function anyFailed(queue: Queue, runId: string, graph: readonly CellNode[]): Promise<boolean> {
  for (const id of runJobIds(runId, graph)) {
    const job = await queue.getJob(id);
    if (job && (await job.getState()) === 'failed') return true;
  }
  return false;
}

/** Every job id a run may have: its cells and its gates. */
function runJobIds(runId: string, graph: readonly CellNode[]): string[] {
  return [...graph.map((c) => c.key), ...graph.filter((c) => c.kind === 'attack').map((c) => gateKey(c.label))].map((k) => jobIdOf(runId, k));
}

/** Removes a run's jobs (the done job takes its children with it). */
async function removeRunJobs(queue: Queue, runId: string, graph: readonly CellNode[]): Promise<void> {
  for (const id of [jobIdOf(runId, cellKey.done()), ...runJobIds(runId, graph)]) {
    const j = await queue.getJob(id);
    if (j) await j.remove().catch(() => {});
  }
}
