import { type ExperimentConfig } from '../experiment/config.ts';
import { type ResultStore } from '../experiment/result-store.ts';
import { type EvalCell, cellKey } from '../experiment/runner.ts';

/** What a report needs from a run, gathered from the store once. */
export interface ReportData {
  readonly runId: string;
  readonly config: ExperimentConfig;
  readonly createdAt: string;
  readonly versions: Record<string, string>;
  readonly timings: Record<string, number>;
  eval(squeezer: string, delta: number, set: string): EvalCell | undefined;
  attack(label: string): Record<string, unknown> | undefined;
  adaptive(label: string): Record<string, unknown> | undefined;
}

export function loadReportData(store: ResultStore, runId: string): ReportData | undefined {
  const run = store.run(runId);
  if (!run) return undefined;
  const cells = new Map(store.cells(runId).map((c) => [c.key, c]));
  const timings: Record<string, number> = {};
  for (const c of cells.values()) {
    const stage = c.key.split('/')[0]!;
    timings[stage] = (timings[stage] ?? 0) + c.elapsedMs;
  }
  const get = <T>(key: string) => cells.get(key)?.result as T | undefined;
  return {
    runId,
    config: run.config as ExperimentConfig,
    createdAt: run.createdAt,
    versions: run.versions,
    timings,
    eval: (s, d, set) => get<EvalCell>(cellKey.eval(s, d, set)),
    attack: (label) => get<Record<string, unknown>>(cellKey.attack(label)),
    adaptive: (label) => get<Record<string, unknown>>(cellKey.adaptive(label)),
  };
}
