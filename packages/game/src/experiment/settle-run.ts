import { canonicalJson } from '@mixnsqueeze/attacks';
import { type ExperimentConfig } from './config.ts';
import { freshMasterSeed, parseMasterSeed } from './master-seed.ts';
import { type ResultStore } from './result-store.ts';
import { runIdOf } from './run-id.ts';
import { type SeededConfig, cellKey } from './runner.ts';

/** A run about to start or resume: its config with the master seed settled, its id, and where the seed came from. */
export interface SettledRun {
  /** The config with its master seed. */
  readonly config: SeededConfig;
  /** `<name>-<8 hex>` of the seeded config. */
  readonly runId: string;
  /**
   * `replayed`: from `--seed`; `config`: written in the config file; `resumed`: the seed stored
   * with an unfinished run of the same grid in this database; `fresh`: drawn from the OS.
   */
  readonly origin: 'replayed' | 'config' | 'resumed' | 'fresh';
}

/** The grid without its seed: two configs with equal grids differ only in their keys. */
function gridOf(config: unknown): string {
  return canonicalJson({ ...(config as Record<string, unknown>), seed: undefined });
}

/**
 * Settles a run's master seed: `--seed` replays a run exactly; a seed written in the config is
 * used as is; otherwise an unfinished run of the same grid in the store is resumed with the seed
 * stored with it (the latest such run), and failing that a fresh seed is drawn from the OS.
 */
export function settleRun(store: ResultStore, config: ExperimentConfig, seedFlag?: string): SettledRun {
  const settled = (seed: string, origin: SettledRun['origin']): SettledRun => {
    const seeded: SeededConfig = { ...config, seed };
    return { config: seeded, runId: runIdOf(seeded), origin };
  };
  if (seedFlag !== undefined) return settled(parseMasterSeed('--seed', seedFlag), 'replayed');
  if (config.seed !== undefined) return settled(config.seed, 'config');
  const grid = gridOf(config);
  const unfinished = store.runs().filter((r) => store.cell(r.id, cellKey.done()) === undefined && gridOf(r.config) === grid);
  const last = unfinished[unfinished.length - 1];
  const stored = (last?.config as { seed?: unknown } | undefined)?.seed;
  if (typeof stored === 'string') return settled(stored, 'resumed');
  return settled(freshMasterSeed(), 'fresh');
}
