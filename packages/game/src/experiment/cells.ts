import {
  type Batch,
  type Classifier,
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
import { type GameAdversaries } from '../isolation/game-adversaries.ts';
import { type ExperimentConfig } from './config.ts';
import { attackSeedOf } from './master-seed.ts';
import { firstCorrect } from './seed-selection.ts';
import { type EvalCell, type ExperimentEnvironment, type SampleProgress, type SeededConfig } from './runner.ts';

/**
 * The cells of an experiment grid as functions: each computes one stored result from the config,
 * the environment and the results (or artifacts) of the cells it depends on, and nothing else. The
 * local runner (`runExperiment`) and the cluster's workers call these same functions, so a run
 * spread over machines stores exactly what a local run stores.
 */

/** The key of each cell in the results database. */
export const cellKey = {
  seeds: () => 'seeds',
  /** Written when every stage has finished: the run is complete and its seed may be shown. */
  done: () => 'done',
  attack: (label: string) => `attack/${label}`,
  eval: (squeezer: string, delta: number, set: string) => `eval/${squeezer}/${delta}/${set}`,
  adaptive: (label: string) => `adaptive/${label}`,
};

/** A labelled set of images the classification cells evaluate. */
export interface LabelledSet {
  readonly x: Batch;
  readonly labels: Int32Array;
}

/** One cell of the grid: its key, what it is, and the keys of the cells it needs first. */
export type CellNode =
  | { readonly kind: 'seeds'; readonly key: string; readonly deps: readonly string[] }
  | { readonly kind: 'attack'; readonly key: string; readonly deps: readonly string[]; readonly label: string }
  | { readonly kind: 'eval'; readonly key: string; readonly deps: readonly string[]; readonly squeezer: string; readonly delta: number; readonly set: string }
  | { readonly kind: 'adaptive'; readonly key: string; readonly deps: readonly string[]; readonly label: string }
  | { readonly kind: 'done'; readonly key: string; readonly deps: readonly string[] };

/** The set label of the legitimate (unattacked) test images. */
export const LEGITIMATE = 'legitimate';

/**
 * Every cell of the grid with its dependencies, in the order a local run computes them: seeds,
 * attack sets, classification cells (squeezer, delta, set), adaptive rows, done. Classification
 * cells of an attacked set depend on that set's attack cell; every cell depends on the seeds.
 */
export function cellGraph(config: ExperimentConfig): CellNode[] {
  const seeds = cellKey.seeds();
  const out: CellNode[] = [{ kind: 'seeds', key: seeds, deps: [] }];
  for (const a of config.attacks) out.push({ kind: 'attack', key: cellKey.attack(a.label), deps: [seeds], label: a.label });
  for (const s of config.squeezers) {
    for (const delta of s.deltas) {
      for (const set of [LEGITIMATE, ...config.attacks.map((a) => a.label)]) {
        out.push({ kind: 'eval', key: cellKey.eval(s.label, delta, set), deps: set === LEGITIMATE ? [seeds] : [seeds, cellKey.attack(set)], squeezer: s.label, delta, set });
      }
    }
  }
  for (const a of config.adaptive) out.push({ kind: 'adaptive', key: cellKey.adaptive(a.label), deps: [seeds], label: a.label });
  out.push({ kind: 'done', key: cellKey.done(), deps: out.map((c) => c.key) });
  return out;
}

/** The seeds cell: indices of the first `seeds` correctly classified test images. */
export async function computeSeeds(config: SeededConfig, env: ExperimentEnvironment): Promise<number[]> {
  const out = Array.from(await firstCorrect(env.model, env.test.x, env.test.labels, config.seeds));
  if (out.length < config.seeds) throw new ParameterError(`only ${out.length} test images are classified correctly; lower 'seeds'.`);
  return out;
}

/** The attack seeds as a set: the test images (and labels) the seeds cell chose. */
export function seedSet(env: ExperimentEnvironment, seedIdx: readonly number[]): LabelledSet {
  return { x: gatherRows(env.test.x, seedIdx), labels: Int32Array.from(seedIdx, (i) => env.test.labels[i]!) };
}

/** The legitimate set: the first `legitimate` test images. */
export function legitimateSet(config: ExperimentConfig, env: ExperimentEnvironment): LabelledSet {
  const count = Math.min(config.legitimate, env.test.labels.length);
  return { x: sliceBatch(env.test.x, 0, count), labels: env.test.labels.subarray(0, count) };
}

/**
 * An attack cell: the adversarial set against the undefended model (as the config evaluates it:
 * rounded to the 8-bit grid when `roundTo` is `uint8`) and the cell's stored result.
 */
export async function computeAttack(
  config: SeededConfig,
  env: ExperimentEnvironment,
  seeds: LabelledSet,
  label: string,
  progress?: SampleProgress,
): Promise<{ result: Record<string, unknown>; adversarial: Batch }> {
  const entry = config.attacks.find((a) => a.label === label);
  if (!entry) throw new ParameterError(`attack '${label}' is not in the config; check the run's config.`);
  const key = cellKey.attack(label);
  const r = await env.attack(entry, seeds.x, seeds.labels, attackSeedOf(config.seed, key), progress);
  return { result: { ...r.summary, success: Array.from(r.success) }, adversarial: roundAdversarial(config, r.adversarial, env.model) };
}

/** The adversary factory of the measured games: the config's adversary, else greedy with its m. */
export function gameAdversary(config: ExperimentConfig, adversaries: GameAdversaries): ReturnType<GameAdversaries['factory']> {
  return adversaries.factory(config.adversary ?? `greedy:m=${config.m}`);
}

/**
 * A classification cell: repeated classification of `data` (the legitimate set, or the attack
 * set it names) through the defense at (squeezer, delta), with the paper's advantage and, where
 * the config plays games there, the measured one. Defense keys fork from the master seed under
 * the cell's key.
 */
export async function computeEval(
  config: SeededConfig,
  env: ExperimentEnvironment,
  cell: { readonly squeezer: string; readonly delta: number; readonly set: string },
  data: LabelledSet,
  adversary: ReturnType<GameAdversaries['factory']>,
): Promise<EvalCell> {
  const { model, registry } = env;
  const row = squeezerRow(config, cell.squeezer);
  const key = cellKey.eval(cell.squeezer, cell.delta, cell.set);
  const squeeze = row.specs.map((spec) => registry.squeezer(spec));
  const randomize = cell.delta > 0 ? registry.randomizer(`${row.randomizer}:${cell.delta}`) : undefined;
  const keys = derivedKeys(config.seed).fork(key.replaceAll('/', '|'));
  const defended = (r: number) => defend(model, { squeeze, ...(randomize ? { randomize } : {}), keys: keys.fork(`rep=${r}`) });
  const rc = await repeatedClassification(defended, data.x, data.labels, config.repetitions);
  const result: EvalCell = { accuracyMean: rc.mean, accuracyStd: rc.std, p: Array.from(rc.p) };
  if (cell.set === LEGITIMATE) return result;
  const adv: Record<string, number> = {};
  for (const n of config.budgets) adv[n] = paperAdvantage(rc.p, n);
  let measured: EvalCell['measured'];
  const nMax = Math.max(...config.budgets);
  const measuredHere = config.gamesAt === 'all' || cell.delta === row.operatingDelta;
  if (config.games > 0 && measuredHere && nMax <= data.labels.length) {
    const succ = new Float64Array(config.games);
    for (let g = 0; g < config.games; g++) {
      const game = new EvCsaGame({
        classifier: defended(config.repetitions + g),
        truth: poolTruth(data.x, data.labels, config.tolerance),
        budget: nMax,
        box: 'black',
        description: `${row.label}, delta ${cell.delta}`,
      });
      succ[g] = (await game.play(adversary(data.x, data.labels))).success;
    }
    const m = measuredAdvantage(succ, config.tau);
    measured = { n: nMax, advantage: m.advantage, low: m.ci95.low, high: m.ci95.high, games: m.games, meanSuccess: succ.reduce((a, b) => a + b, 0) / succ.length };
  }
  return { ...result, paperAdvantage: adv, ...(measured ? { measured } : {}) };
}

/**
 * An adaptive row (table 3 and beyond): the examples are generated once against the defense
 * without randomness, then classified `runs` times with fresh keys at the operating delta (mean
 * +- sd), and once without randomness.
 */
export async function computeAdaptive(
  config: SeededConfig,
  env: ExperimentEnvironment,
  seeds: LabelledSet,
  legitimate: LabelledSet,
  label: string,
  progress?: SampleProgress,
): Promise<Record<string, unknown>> {
  const { model, registry } = env;
  if (!env.adaptiveAttack) throw new ParameterError(`adaptive row '${label}': this environment runs no adaptive attacks.`);
  const a = config.adaptive.find((r) => r.label === label);
  if (!a) throw new ParameterError(`adaptive row '${label}' is not in the config; check the run's config.`);
  const row = squeezerRow(config, a.squeezer);
  const squeeze = row.specs.map((spec) => registry.squeezer(spec));
  const master = derivedKeys(config.seed);
  const key = cellKey.adaptive(a.label);
  const count = Math.min(a.samples ?? seeds.labels.length, seeds.labels.length);
  const x = sliceBatch(seeds.x, 0, count);
  const labels = seeds.labels.subarray(0, count);
  const fitted = a.fitThreshold ? await fitDetectorThreshold(a.spec, registry, model, legitimate.x) : undefined;
  const entry = fitted === undefined ? a : { ...a, spec: `${a.spec},threshold=${fitted}` };
  const defenseKeys = master.fork(`adaptive-attack|${a.label}`);
  const made = await env.adaptiveAttack(entry, row, x, labels, adaptiveSeed(config, a), defenseKeys, progress);
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
}

/** The done cell's result: constant, so resumed and straight runs agree (its row's finished_at says when). */
export const DONE_RESULT = Object.freeze({ complete: true });

function squeezerRow(config: ExperimentConfig, label: string): ExperimentConfig['squeezers'][number] {
  const row = config.squeezers.find((s) => s.label === label);
  if (!row) throw new ParameterError(`squeezer row '${label}' is not in the config; check the run's config.`);
  return row;
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

/** T at 5% false positives on legitimate images for the squeezers named in an attack spec. */
async function fitDetectorThreshold(spec: string, registry: Registry, model: Classifier, legitimate: Batch): Promise<number> {
  const m = /squeezers=([^,]+)/.exec(spec);
  if (!m) throw new ParameterError(`fitThreshold: attack '${spec}' names no squeezers=...`);
  if (/threshold=/.test(spec)) throw new ParameterError(`fitThreshold: attack '${spec}' already sets a threshold.`);
  const detector = new SqueezeDetector(model, m[1]!.split('+').map((s) => registry.squeezer(s)));
  return detector.fit(legitimate, 0.05);
}
