import {
  type Batch,
  type Classifier,
  type KeySchedule,
  ParameterError,
  type Registry,
  UINT8_LEVELS,
  derivedKeys,
  gatherRows,
  roundToGrid,
  sliceBatch,
} from '@mixnsqueeze/core';
import { SqueezeDetector, defend } from '@mixnsqueeze/squeezers';
import { paperAdvantage, measuredAdvantage } from '../estimators/advantage.ts';
import { repeatedClassification } from '../estimators/error-probabilities.ts';
import { EvCsaGame } from '../game/ev-csa-game.ts';
import { poolTruth } from '../game/truth.ts';
import { type GameAdversaries, gameAdversaries } from '../isolation/game-adversaries.ts';
import { type ExperimentConfig } from './config.ts';
import { attackSeedOf } from './master-seed.ts';
import { type ResultStore } from './result-store.ts';
import { firstCorrect } from './seed-selection.ts';

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

export const cellKey = {
  seeds: () => 'seeds',
  /** Written when every stage has finished: the run is complete and its seed may be shown. */
  done: () => 'done',
  attack: (label: string) => `attack/${label}`,
  eval: (squeezer: string, delta: number, set: string) => `eval/${squeezer}/${delta}/${set}`,
  adaptive: (label: string) => `adaptive/${label}`,
};

/** A config with its master seed settled (drawn from the OS, replayed, or resumed from the store). */
export type SeededConfig = ExperimentConfig & { readonly seed: string };

/**
 * Runs an experiment grid, cell by cell, storing each result as it finishes; cells already in the
 * store are skipped. Every cell's randomness derives from the master seed and the cell's key only,
 * so a resumed run gives exactly the results of an uninterrupted one. Attacks get seeds derived
 * one-way from the master seed, and defenses get key schedules forked from it: no attack or
 * environment is handed the master seed.
 */
export async function runExperiment(
  config: SeededConfig,
  env: ExperimentEnvironment,
  store: ResultStore,
  runId: string,
  progress: StageProgress = () => {},
): Promise<void> {
  const master = derivedKeys(config.seed);
  const { model, registry } = env;

  // Stage 1: the attack seeds, the first `seeds` correctly classified test images.
  const seedIdx = (
    await store.memo(runId, cellKey.seeds(), async () => {
      const out = Array.from(await firstCorrect(model, env.test.x, env.test.labels, config.seeds));
      if (out.length < config.seeds) throw new ParameterError(`only ${out.length} test images are classified correctly; lower 'seeds'.`);
      return out;
    })
  ).result;
  const seeds = gatherRows(env.test.x, seedIdx);
  const seedLabels = Int32Array.from(seedIdx, (i) => env.test.labels[i]!);
  const legitCount = Math.min(config.legitimate, env.test.labels.length);
  const legit = { x: sliceBatch(env.test.x, 0, legitCount), labels: env.test.labels.subarray(0, legitCount) };

  // Stage 2: adversarial sets against the undefended model. A set is made only while some cell
  // still needs it: a run resumed after its classification stage (on another machine, or after the
  // attack cache was cleared) does not regenerate an hour of attack sets it will never read.
  const cells: { squeezer: ExperimentConfig['squeezers'][number]; delta: number; set: string }[] = [];
  for (const s of config.squeezers) {
    for (const delta of s.deltas) for (const set of ['legitimate', ...config.attacks.map((a) => a.label)]) cells.push({ squeezer: s, delta, set });
  }
  const stored = new Set(store.cells(runId).map((c) => c.key));
  const needed = (label: string) =>
    !stored.has(cellKey.attack(label)) || cells.some((c) => c.set === label && !stored.has(cellKey.eval(c.squeezer.label, c.delta, c.set)));
  const sets = new Map<string, { x: Batch; labels: Int32Array }>();
  sets.set('legitimate', legit);
  for (const [i, a] of config.attacks.entries()) {
    progress('attacks', i, config.attacks.length);
    if (!needed(a.label)) continue;
    const key = cellKey.attack(a.label);
    const r = await env.attack(a, seeds, seedLabels, attackSeedOf(config.seed, key), samples(progress, `attack ${a.label}`));
    await store.memo(runId, key, async () => ({ ...r.summary, success: Array.from(r.success) }));
    sets.set(a.label, { x: roundAdversarial(config, r.adversarial, model), labels: seedLabels });
  }
  progress('attacks', config.attacks.length, config.attacks.length);

  // Stage 3: repeated classification through the defense for every (squeezer, delta, set).
  const nMax = Math.max(...config.budgets);
  const adversaries = env.adversaries ?? gameAdversaries(registry);
  const adversary = adversaries.factory(config.adversary ?? `greedy:m=${config.m}`);
  for (const [c, cell] of cells.entries()) {
    progress('classification', c, cells.length);
    const key = cellKey.eval(cell.squeezer.label, cell.delta, cell.set);
    await store.memo<EvalCell>(runId, key, async () => {
      const data = sets.get(cell.set)!;
      const squeeze = cell.squeezer.specs.map((spec) => registry.squeezer(spec));
      const randomize = cell.delta > 0 ? registry.randomizer(`${cell.squeezer.randomizer}:${cell.delta}`) : undefined;
      const keys = master.fork(key.replaceAll('/', '|'));
      const defended = (r: number) => defend(model, { squeeze, ...(randomize ? { randomize } : {}), keys: keys.fork(`rep=${r}`) });
      const rc = await repeatedClassification(defended, data.x, data.labels, config.repetitions);
      const result: EvalCell = { accuracyMean: rc.mean, accuracyStd: rc.std, p: Array.from(rc.p) };
      if (cell.set === 'legitimate') return result;
      const adv: Record<string, number> = {};
      for (const n of config.budgets) adv[n] = paperAdvantage(rc.p, n);
      let measured: EvalCell['measured'];
      const measuredHere = config.gamesAt === 'all' || cell.delta === cell.squeezer.operatingDelta;
      if (config.games > 0 && measuredHere && nMax <= data.labels.length) {
        const succ = new Float64Array(config.games);
        for (let g = 0; g < config.games; g++) {
          const game = new EvCsaGame({
            classifier: defended(config.repetitions + g),
            truth: poolTruth(data.x, data.labels, config.tolerance),
            budget: nMax,
            box: 'black',
            description: `${cell.squeezer.label}, delta ${cell.delta}`,
          });
          succ[g] = (await game.play(adversary(data.x, data.labels))).success;
        }
        const m = measuredAdvantage(succ, config.tau);
        measured = { n: nMax, advantage: m.advantage, low: m.ci95.low, high: m.ci95.high, games: m.games, meanSuccess: succ.reduce((a, b) => a + b, 0) / succ.length };
      }
      return { ...result, paperAdvantage: adv, ...(measured ? { measured } : {}) };
    });
  }
  progress('classification', cells.length, cells.length);
  if (adversaries !== env.adversaries) await adversaries.close();

  // Stage 4: adaptive attacks against the defense (table 3 and the rows the paper lacks): the
  // examples are generated once against the defense without randomness, then classified `runs`
  // times with fresh keys at the operating delta (mean +- sd), and once without randomness.
  if (env.adaptiveAttack) {
    for (const [i, a] of config.adaptive.entries()) {
      progress('adaptive', i, config.adaptive.length);
      const row = config.squeezers.find((s) => s.label === a.squeezer)!;
      const squeeze = row.specs.map((spec) => registry.squeezer(spec));
      const key = cellKey.adaptive(a.label);
      await store.memo(runId, key, async () => {
        const count = Math.min(a.samples ?? seedLabels.length, seedLabels.length);
        const x = sliceBatch(seeds, 0, count);
        const labels = seedLabels.subarray(0, count);
        const fitted = a.fitThreshold ? await fitDetectorThreshold(a.spec, registry, model, legit.x) : undefined;
        const entry = fitted === undefined ? a : { ...a, spec: `${a.spec},threshold=${fitted}` };
        const defenseKeys = master.fork(`adaptive-attack|${a.label}`);
        const made = await env.adaptiveAttack!(entry, row, x, labels, adaptiveSeed(config, a), defenseKeys, samples(progress, a.label));
        const { summary } = made;
        const adversarial = roundAdversarial(config, made.adversarial, model);
        const keys = master.fork(key.replaceAll('/', '|'));
        const randomize = registry.randomizer(`${row.randomizer}:${row.operatingDelta}`);
        const defended = (r: number) => defend(model, { squeeze, randomize, keys: keys.fork(`rep=${r}`) });
        const plain = () => defend(model, { squeeze });
        const stats = async (set: Batch, classifier: (r: number) => Classifier, reps: number) => {
          const rc = await repeatedClassification(classifier, set, labels, reps);
          return { mean: rc.mean, std: rc.std };
        };
        return {
          ...summary,
          ...(fitted === undefined ? {} : { threshold: fitted }),
          samples: count,
          runs: a.runs,
          delta: row.operatingDelta,
          randomized: { legitimate: await stats(x, defended, a.runs), adversarial: await stats(adversarial, defended, a.runs) },
          plain: { legitimate: await stats(x, plain, 1), adversarial: await stats(adversarial, plain, 1) },
        };
      });
    }
    progress('adaptive', config.adaptive.length, config.adaptive.length);
  }
  // Its row's finished_at says when; the result itself is constant, so resumed and straight runs agree.
  await store.memo(runId, cellKey.done(), async () => ({ complete: true }));
}

/**
 * The adversarial examples as the config evaluates them: on the 8-bit grid when `roundTo` is
 * `uint8` (idempotent, so an environment that already rounded changes nothing).
 */
function roundAdversarial(config: ExperimentConfig, x: Batch, model: Classifier): Batch {
  if (config.roundTo !== 'uint8') return x;
  const [lo, hi] = model.space.bounds;
  return { data: roundToGrid(x.data, new Float32Array(x.data.length), lo, hi, UINT8_LEVELS), shape: x.shape };
}

/**
 * The attack seed of an adaptive row. Rows that run the same attack share one adversarial set, as
 * table 3 evaluates one He et al. set (made against the joint detector) on each squeezer row: the
 * seed is that of the first row running it. Rows with a surface attack their own defended row, so
 * they share only with rows on the same squeezer.
 */
export function adaptiveSeed(config: SeededConfig, a: ExperimentConfig['adaptive'][number]): string {
  const first = config.adaptive.find(
    (b) =>
      b.spec === a.spec &&
      b.target === a.target &&
      b.surface === a.surface &&
      b.samples === a.samples &&
      b.fitThreshold === a.fitThreshold &&
      (a.surface === undefined || b.squeezer === a.squeezer),
  )!;
  return attackSeedOf(config.seed, cellKey.adaptive(first.label));
}

/** An attack's progress as a stage of its own, in whole samples: the hours of a full run's attacks show as they pass. */
function samples(progress: StageProgress, stage: string): SampleProgress {
  return (done, total) => progress(stage, Math.floor(done), total);
}

/** T at 5% false positives on legitimate images for the squeezers named in an attack spec. */
async function fitDetectorThreshold(spec: string, registry: Registry, model: Classifier, legitimate: Batch): Promise<number> {
  const m = /squeezers=([^,]+)/.exec(spec);
  if (!m) throw new ParameterError(`fitThreshold: attack '${spec}' names no squeezers=...`);
  if (/threshold=/.test(spec)) throw new ParameterError(`fitThreshold: attack '${spec}' already sets a threshold.`);
  const detector = new SqueezeDetector(model, m[1]!.split('+').map((s) => registry.squeezer(s)));
  return detector.fit(legitimate, 0.05);
}
