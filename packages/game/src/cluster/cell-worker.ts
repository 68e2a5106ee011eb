import { type Job, Queue, UnrecoverableError, WaitingChildrenError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import {
  DONE_RESULT,
  LEGITIMATE,
  cellGraph,
  cellKey,
  computeAdaptive,
  computeAttack,
  computeEval,
  computeSeeds,
  gameAdversary,
  legitimateSet,
  seedSet,
} from '../experiment/cells.ts';
import { type ExperimentEnvironment, type SeededConfig } from '../experiment/runner.ts';
import { type GameAdversaries, gameAdversaries } from '../isolation/game-adversaries.ts';
import { ArtifactStore } from './artifact-store.ts';
import { type CellJobData, type CellJobResult, QUEUE_NAME, QUEUE_PREFIX, clusterFingerprint, jobIdOf } from './cell-jobs.ts';
import { type QueueUrl, redactUrls } from './queue-url.ts';
import { quietRepeats } from './quiet-log.ts';
import { reachQueue } from './reach-queue.ts';

/** An environment for a run's config, and how to release it. */
export interface LoadedEnvironment {
  /** The model, data and attacks, as a local run gets them. */
  readonly env: ExperimentEnvironment;
  /** Releases the model and the adversaries' process. */
  close(): Promise<void>;
}

/** How a worker connects, what it runs and how it watches for stalled cells. */
export interface CellWorkerOptions {
  /** The queue's Redis. */
  readonly url: QueueUrl;
  /** Loads the model and data a config names (the CLI's `cliEnvironment`); called once per model, dataset and rounding. */
  readonly environment: (config: SeededConfig) => Promise<LoadedEnvironment>;
  /** Cells computed at once by this process (default 1: a cell already uses the cores its backend uses). */
  readonly concurrency?: number;
  /** Where progress lines go (never with the seed or a password). */
  readonly log?: (line: string) => void;
  /** This worker's code fingerprint (default {@link clusterFingerprint}); jobs with another are refused. */
  readonly fingerprint?: string;
  /** How long a cell's lock lasts without renewal before another worker may take the cell over (BullMQ default 30 s). */
  readonly lockDurationMs?: number;
  /** How often this worker looks for stalled cells (BullMQ default 30 s). */
  readonly stalledIntervalMs?: number;
  /** How many times a cell may stall (its worker died) before it fails (default 3). */
  readonly maxStalledCount?: number;
  /** Called before a cell is computed (tests slow or fail chosen cells through it). */
  readonly beforeCell?: (key: string, runId: string) => Promise<void> | void;
  /** Called when a cell has been computed, before its result is returned (tests count computations). */
  readonly onComputed?: (key: string, runId: string) => void;
}

/** A running worker. */
export interface CellWorker {
  /** Finishes the cells in hand, then disconnects and releases the environments. */
  close(): Promise<void>;
}

/**
 * Takes cell jobs from the queue and computes them with the functions a local run uses
 * (experiment/cells.ts), so a distributed run stores exactly what a local one does. A job carries
 * the run's config and seed; its inputs from other cells come in the job (the seeds) or from the
 * artifact store (adversarial sets), never from a shared folder.
 */
export async function startCellWorker(options: CellWorkerOptions): Promise<CellWorker> {
  const log = quietRepeats(options.log ?? (() => {}));
  const mine = options.fingerprint ?? clusterFingerprint();
  await reachQueue(options.url);
  const redis = new Redis({ ...options.url.connection, maxRetriesPerRequest: null });
  redis.on('error', (e: Error) => log(`redis: ${redactUrls(e.message)}`));
  const artifacts = new ArtifactStore(redis, QUEUE_PREFIX);
  const queue = new Queue(QUEUE_NAME, { connection: options.url.connection, prefix: QUEUE_PREFIX });
  queue.on('error', (e: Error) => log(`queue: ${redactUrls(e.message)}`));
  const envs = new Map<string, Promise<{ loaded: LoadedEnvironment; adversaries: GameAdversaries }>>();
  const environment = (config: SeededConfig) => {
    // What cliEnvironment reads from a config: runs that agree on these share one environment.
    const id = JSON.stringify([config.model, config.dataset, config.roundTo ?? null]);
    let e = envs.get(id);
    if (!e) {
      e = options.environment(config).then((loaded) => ({ loaded, adversaries: loaded.env.adversaries ?? gameAdversaries(loaded.env.registry) }));
      // A failed load is retried by the next job rather than remembered.
      e.catch(() => envs.delete(id));
      envs.set(id, e);
    }
    return e;
  };

  const compute = async (job: Job<CellJobData>, token: string | undefined): Promise<CellJobResult> => {
    const data = job.data;
    if (data.fingerprint !== mine) {
      throw new UnrecoverableError(
        `worker refuses cell '${data.key}' of run ${data.runId}: its code (fingerprint ${mine.slice(0, 12)}) differs from the run's (${String(data.fingerprint).slice(0, 12)}); run the coordinator's checkout and build on every worker.`,
      );
    }
    const { config, runId } = data;
    if (data.kind === 'gate') return gate(job, token);
    await options.beforeCell?.(data.key, runId);
    const { loaded, adversaries } = await environment(config);
    const t0 = performance.now();
    const env = loaded.env;
    const seeds = () => seedSet(env, data.seeds ?? []);
    let out: CellJobResult;
    switch (data.kind) {
      case 'seeds':
        out = { key: data.key, result: await computeSeeds(config, env), elapsedMs: 0 };
        break;
      case 'attack': {
        const label = data.key.slice('attack/'.length);
        const made = await computeAttack(config, env, seeds(), label);
        const sha = await artifacts.putBatch(made.adversarial);
        await artifacts.setRef(runId, data.key, sha);
        out = { key: data.key, result: made.result, elapsedMs: 0, artifact: sha };
        break;
      }
      case 'eval': {
        const cell = cellGraph(config).find((c) => c.key === data.key);
        if (cell?.kind !== 'eval') throw new UnrecoverableError(`cell '${data.key}' is not a classification cell of run ${runId}.`);
        let set = legitimateSet(config, env);
        if (cell.set !== LEGITIMATE) {
          const sha = await artifacts.ref(runId, cellKey.attack(cell.set));
          // Retried: the coordinator re-queues the attack when its set is gone from Redis.
          if (!sha) throw new Error(`the adversarial set '${cell.set}' of run ${runId} is not in Redis; it is recomputed when the coordinator is started again.`);
          set = { x: await artifacts.getBatch(sha), labels: seeds().labels };
        }
        out = { key: data.key, result: await computeEval(config, env, cell, set, gameAdversary(config, adversaries)), elapsedMs: 0 };
        break;
      }
      case 'adaptive':
        out = { key: data.key, result: await computeAdaptive(config, env, seeds(), legitimateSet(config, env), data.key.slice('adaptive/'.length)), elapsedMs: 0 };
        break;
      case 'done':
        out = { key: data.key, result: DONE_RESULT, elapsedMs: 0 };
        break;
      default:
        throw new UnrecoverableError(`unknown cell kind '${String(data.kind)}' in job ${job.id}; update this worker.`);
    }
    options.onComputed?.(data.key, runId);
    const elapsedMs = performance.now() - t0;
    log(`${runId}: ${data.key} in ${(elapsedMs / 1000).toFixed(1)} s`);
    return { ...out, elapsedMs };
  };

  // A set's classification cells are added once the set exists, as children of its gate, which
  // then waits for them (BullMQ's "process step jobs" pattern): no polling, and a gate that dies
  // half-way adds the rest under the same ids when it is retried.
  const gate = async (job: Job<CellJobData>, token: string | undefined): Promise<CellJobResult> => {
    const data = job.data;
    if (data.step !== 'added') {
      for (const key of data.evals ?? []) {
        const child: CellJobData = { runId: data.runId, fingerprint: data.fingerprint, config: data.config, kind: 'eval', key, ...(data.seeds ? { seeds: data.seeds } : {}) };
        await queue.add('eval', child, {
          jobId: jobIdOf(data.runId, key),
          parent: { id: job.id!, queue: job.queueQualifiedName },
          attempts: job.opts.attempts,
          ...(job.opts.backoff === undefined ? {} : { backoff: job.opts.backoff }),
          failParentOnFailure: true,
          removeOnComplete: false,
          removeOnFail: false,
        });
      }
      await job.updateData({ ...data, step: 'added' });
      if (await job.moveToWaitingChildren(token!)) throw new WaitingChildrenError();
    }
    return { key: data.key, elapsedMs: 0 };
  };

  const worker = new Worker<CellJobData, CellJobResult>(QUEUE_NAME, compute, {
    connection: options.url.connection,
    prefix: QUEUE_PREFIX,
    concurrency: options.concurrency ?? 1,
    ...(options.lockDurationMs === undefined ? {} : { lockDuration: options.lockDurationMs }),
    ...(options.stalledIntervalMs === undefined ? {} : { stalledInterval: options.stalledIntervalMs }),
    maxStalledCount: options.maxStalledCount ?? 3,
  });
  worker.on('error', (e: Error) => log(`worker: ${redactUrls(e.message)}`));
  worker.on('failed', (job, e) => {
    if (job && !(e instanceof WaitingChildrenError)) log(`${job.data.runId}: ${job.data.key} failed (attempt ${job.attemptsMade}): ${redactUrls(e.message)}`);
  });
  await worker.waitUntilReady();
  return {
    async close() {
      await worker.close();
      await queue.close();
      redis.disconnect();
      for (const e of envs.values()) {
        const env = await e.catch(() => undefined);
        if (!env) continue;
        if (env.adversaries !== env.loaded.env.adversaries) await env.adversaries.close();
        await env.loaded.close();
      }
    },
  };
}

