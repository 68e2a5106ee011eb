import { GENERATING_PACKAGES, fingerprintSources } from '@mixnsqueeze/attacks';
import { type SeededConfig } from '../experiment/runner.ts';

/** The BullMQ queue every run's cells go through (runs are told apart by their job ids). */
export const QUEUE_NAME = 'mixnsqueeze-cells';

/** BullMQ's key prefix for the queue (and the artifacts next to it). */
export const QUEUE_PREFIX = 'bull';

/**
 * What a job does: compute one cell (`seeds`, `attack`, `eval`, `adaptive`, `done`), or, for a
 * `gate`, add the classification cells of an attack set once that set exists (BullMQ's flows are
 * trees: a job has one parent, and the cells of a set are many).
 */
export type CellJobKind = 'seeds' | 'attack' | 'eval' | 'adaptive' | 'gate' | 'done';

/** The data of a job: everything a worker needs, since workers share no files with the coordinator. */
export interface CellJobData {
  /** The run's id (`<name>-<8 hex>`). */
  readonly runId: string;
  /** The coordinator's code fingerprint: a worker with other code refuses the job. */
  readonly fingerprint: string;
  /** The run's config with its master seed (secret-ish: never logged). */
  readonly config: SeededConfig;
  /** What to do. */
  readonly kind: CellJobKind;
  /** The cell's key (for a gate: `gate/<attack label>`). */
  readonly key: string;
  /** The seeds cell's result (indices into the test set), for every cell after it. */
  readonly seeds?: readonly number[];
  /** A gate's classification cells still to compute (keys). */
  readonly evals?: readonly string[];
  /** A gate's progress: set once it has added its cells. */
  readonly step?: 'added';
}

/** What a cell job returns (BullMQ stores it as JSON, which keeps every double exactly). */
export interface CellJobResult {
  /** The cell's key. */
  readonly key: string;
  /** The cell's stored result (absent for gates). */
  readonly result?: unknown;
  /** The computation's wall time. */
  readonly elapsedMs: number;
  /** SHA-256 of the adversarial set an attack cell made (in the artifact store). */
  readonly artifact?: string;
}

/**
 * The job id of a cell of a run: the run id and the cell key, percent-encoded (BullMQ's ids must
 * not contain ':', and keys hold labels with any character). The same cell of the same run always
 * has the same id, so it is never queued twice.
 */
export function jobIdOf(runId: string, key: string): string {
  return `${runId}.${encodeURIComponent(key)}`;
}

/** The prefix of every job id of a run. */
export function runPrefix(runId: string): string {
  return `${runId}.`;
}

/** The key of a set's gate job. */
export function gateKey(attackLabel: string): string {
  return `gate/${attackLabel}`;
}

let fingerprint: string | undefined;

/**
 * SHA-256 of the code that computes cells: the generating packages and this one (sources and
 * build). Coordinator and workers compare theirs, so a worker on another checkout cannot mix its
 * results into a run.
 */
export function clusterFingerprint(): string {
  return (fingerprint ??= fingerprintSources([...GENERATING_PACKAGES, '@mixnsqueeze/game'], import.meta.url));
}
