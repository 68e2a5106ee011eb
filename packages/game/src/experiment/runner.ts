import { type Batch, type Classifier, type KeySchedule, type Registry } from '@mixnsqueeze/core';
import { type GameAdversaries, gameAdversaries } from '../isolation/game-adversaries.ts';
import {
  DONE_RESULT,
  LEGITIMATE,
  type LabelledSet,
  cellGraph,
  cellKey,
  computeAdaptive,
  computeAttack,
  computeEval,
  computeSeeds,
  gameAdversary,
  legitimateSet,
  seedSet,
} from './cells.ts';
import { type ExperimentConfig } from './config.ts';
import { type ResultStore } from './result-store.ts';

export { adaptiveSeed, cellKey } from './cells.ts';

/** What the runner needs from the outside: the model, the test data and a way to make adversarial sets. */
export interface ExperimentEnvironment {
  /** Registry that resolves the config's squeezer, randomizer, attack and adversary specs. */
  readonly registry: Registry;
  /** The undefended model. */
  readonly model: Classifier;
  /** The test set the seeds are chosen from. */
  readonly test: { readonly x: Batch; readonly labels: Int32Array };
  /**
   * Where the measured games' adversaries play. Default: a process of their own for the run
   * (`gameAdversaries(registry)`, built-in adversaries only; docs/security.md), closed when the
   * classification stage ends. An environment that passes its own closes it.
   */
  readonly adversaries?: GameAdversaries;
  /**
   * Adversarial examples for the seeds (generated against `model`, cached by the caller). Returns
   * the adversarial batch and the per-sample success on the undefended model.
   */
  attack(
    entry: ExperimentConfig['attacks'][number],
    seeds: Batch,
    labels: Int32Array,
    seed: string,
    progress?: SampleProgress,
  ): Promise<{ adversarial: Batch; success: Uint8Array; summary: Record<string, unknown> }>;
  /**
   * Adaptive attack (table 3 and beyond) on the squeezer row it is adapted to: attacks with a
   * surface (e.g. eot:30) see the randomized defense at the row's operating delta, keyed by
   * `defenseKeys` (a schedule forked from the master seed, never the seed itself); the others (He
   * et al.) see the base model and carry the squeezers in their own parameters.
   */
  adaptiveAttack?(
    entry: ExperimentConfig['adaptive'][number],
    row: ExperimentConfig['squeezers'][number],
    seeds: Batch,
    labels: Int32Array,
    seed: string,
    defenseKeys: KeySchedule,
    progress?: SampleProgress,
  ): Promise<{ adversarial: Batch; summary: Record<string, unknown> }>;
}

/** Progress of one attack run: samples done (fractional within a chunk) of the total. */
export type SampleProgress = (done: number, total: number) => void;

/** Progress callback of {@link runExperiment}: items done of total in the named stage. */
export interface StageProgress {
  (stage: string, done: number, total: number): void;
}

/** Result of one (squeezer, delta, set) cell. */
export interface EvalCell {
  /** Mean accuracy of the defended model over the repetitions. */
  readonly accuracyMean: number;
  /** Standard deviation of the accuracy over the repetitions. */
  readonly accuracyStd: number;
  /** Error probability p_i of each sample over the repetitions. */
  readonly p: number[];
  /** Advantage by paper eq. 6 for each budget N (keyed by N); absent for legitimate samples. */
  readonly paperAdvantage?: Record<string, number>;
  /**
   * Advantage measured in played games at budget n, with its Wilson 95% interval; present only where games were
   * played.
   */
  readonly measured?: { n: number; advantage: number; low: number; high: number; games: number; meanSuccess: number };
}

/** A config with its master seed settled (drawn from the OS, replayed, or resumed from the store). */
export type SeededConfig = ExperimentConfig & { readonly seed: string };

/**
 * Runs an experiment grid, cell by cell, storing each result as it finishes; cells already in the
 * store are skipped. Every cell's randomness derives from the master seed and the cell's key only,
 * so a resumed run gives exactly the results of an uninterrupted one. Attacks get seeds derived
 * one-way from the master seed, and defenses get key schedules forked from it: no attack or
 * environment is handed the master seed. The cells are those of `cellGraph` computed by the
 * functions of cells.ts, the same ones a cluster's workers run.
 */
export async function runExperiment(
  config: SeededConfig,
  env: ExperimentEnvironment,
  store: ResultStore,
  runId: string,
  progress: StageProgress = () => {},
): Promise<void> {
  const graph = cellGraph(config);
  // Stage 1: the attack seeds, the first `seeds` correctly classified test images.
  const seedIdx = (await store.memo(runId, cellKey.seeds(), () => computeSeeds(config, env))).result;
  const seeds = seedSet(env, seedIdx);
  const legit = legitimateSet(config, env);

  // Stage 2: adversarial sets against the undefended model. A set is made only while some cell
  // still needs it: a run resumed after its classification stage (on another machine, or after the
  // attack cache was cleared) does not regenerate an hour of attack sets it will never read.
  const evals = graph.filter((c) => c.kind === 'eval');
  const stored = new Set(store.cells(runId).map((c) => c.key));
  const needed = (label: string) => !stored.has(cellKey.attack(label)) || evals.some((c) => c.set === label && !stored.has(c.key));
  const sets = new Map<string, LabelledSet>([[LEGITIMATE, legit]]);
  for (const [i, a] of config.attacks.entries()) {
    progress('attacks', i, config.attacks.length);
    if (!needed(a.label)) continue;
    const made = await computeAttack(config, env, seeds, a.label, samples(progress, `attack ${a.label}`));
    await store.memo(runId, cellKey.attack(a.label), async () => made.result);
    sets.set(a.label, { x: made.adversarial, labels: seeds.labels });
  }
  progress('attacks', config.attacks.length, config.attacks.length);

  // Stage 3: repeated classification through the defense for every (squeezer, delta, set).
  const adversaries = env.adversaries ?? gameAdversaries(env.registry);
  const adversary = gameAdversary(config, adversaries);
  for (const [c, cell] of evals.entries()) {
    progress('classification', c, evals.length);
    await store.memo<EvalCell>(runId, cell.key, () => computeEval(config, env, cell, sets.get(cell.set)!, adversary));
  }
  progress('classification', evals.length, evals.length);
  if (adversaries !== env.adversaries) await adversaries.close();

  // Stage 4: adaptive attacks against the defense (table 3 and the rows the paper lacks).
  if (env.adaptiveAttack) {
    for (const [i, a] of config.adaptive.entries()) {
      progress('adaptive', i, config.adaptive.length);
      await store.memo(runId, cellKey.adaptive(a.label), () => computeAdaptive(config, env, seeds, legit, a.label, samples(progress, a.label)));
    }
    progress('adaptive', config.adaptive.length, config.adaptive.length);
  }
  await store.memo(runId, cellKey.done(), async () => DONE_RESULT);
}

/** An attack's progress as a stage of its own, in whole samples: the hours of a full run's attacks show as they pass. */
export function samples(progress: StageProgress, stage: string): SampleProgress {
  return (done, total) => progress(stage, Math.floor(done), total);
}
