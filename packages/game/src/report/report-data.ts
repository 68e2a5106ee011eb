import { type ExperimentConfig } from '../experiment/config.ts';
import { type ResultStore } from '../experiment/result-store.ts';
import { type EvalCell, cellKey } from '../experiment/runner.ts';

/** What a report needs from a run, gathered from the store once. */
export interface ReportData {
  /** The run's id. */
  readonly runId: string;
  /** The run's experiment config. */
  readonly config: ExperimentConfig;
  /** When the run was created (ISO 8601). */
  readonly createdAt: string;
  /** Whether every stage has finished (the master seed is shown only then). */
  readonly finished: boolean;
  /** Package and runtime versions recorded with the run. */
  readonly versions: Record<string, string>;
  /** Compute time per stage (`seeds`, `attack`, `eval`, `adaptive`), in milliseconds; attack sets count their generation time even when served from the cache. */
  readonly timings: Record<string, number>;
  /** The classification cell of a squeezer row, delta and set, if computed. */
  eval(squeezer: string, delta: number, set: string): EvalCell | undefined;
  /** The summary of an attack row, if computed. */
  attack(label: string): Record<string, unknown> | undefined;
  /** The summary of an adaptive-attack row, if computed. */
  adaptive(label: string): Record<string, unknown> | undefined;
}

/** Gathers a run's results from the store for a report; undefined when the run is unknown. */
export function loadReportData(store: ResultStore, runId: string): ReportData | undefined {
  const run = store.run(runId);
  if (!run) return undefined;
  const cells = new Map(store.cells(runId).map((c) => [c.key, c]));
  const timings: Record<string, number> = {};
  // An attack set served from the cache costs the cell nothing; its summary keeps what generating
  // it took. A set shared by several rows (table 3's He et al.) counts once.
  const counted = new Set<string>();
  for (const c of cells.values()) {
    if (c.key === cellKey.done()) continue;
    const stage = c.key.split('/')[0]!;
    const summary = c.result as { attack?: unknown; elapsedMs?: unknown } | null;
    const generated = typeof summary?.elapsedMs === 'number' ? summary.elapsedMs : 0;
    const id = `${String(summary?.attack)}|${generated}`;
    const fresh = generated > 0 && !counted.has(id);
    if (fresh) counted.add(id);
    timings[stage] = (timings[stage] ?? 0) + (fresh ? Math.max(c.elapsedMs, generated) : c.elapsedMs);
  }
  const get = <T>(key: string) => cells.get(key)?.result as T | undefined;
  return {
    runId,
    config: run.config as ExperimentConfig,
    createdAt: run.createdAt,
    finished: cells.has(cellKey.done()),
    versions: run.versions,
    timings,
    eval: (s, d, set) => get<EvalCell>(cellKey.eval(s, d, set)),
    attack: (label) => get<Record<string, unknown>>(cellKey.attack(label)),
    adaptive: (label) => get<Record<string, unknown>>(cellKey.adaptive(label)),
  };
}
