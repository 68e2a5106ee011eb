import { type Classifier, type Registry, isDifferentiable, sliceBatch } from '@mixnsqueeze/core';
import { defend } from '@mixnsqueeze/squeezers';
import { type ExperimentConfig } from './config.ts';

/**
 * Gradient evaluations one seed costs an attack spec, from its parameters: `exact` when that is
 * the most it makes (early aborts make it less), `round` for the CW-inf / CW-0 searches, counted as
 * one round of `iterations` although their search on c runs several, `unknown` for attacks this
 * estimate does not model (JSMA, plugins).
 */
export function gradientsPerSeed(registry: Registry, spec: string): { gradients: number; count: 'exact' | 'round' | 'unknown' } {
  const { component, params: p } = registry.resolve('attack', spec);
  const n = (k: string, d = 1) => (typeof p[k] === 'number' ? (p[k] as number) : d);
  switch (component.id) {
    case 'fgsm':
      return { gradients: 1, count: 'exact' };
    case 'bim':
      return { gradients: n('steps', 10), count: 'exact' };
    case 'pgd':
      return { gradients: n('steps') * n('restarts'), count: 'exact' };
    case 'eot-pgd':
      return { gradients: n('steps') * n('restarts') * n('k'), count: 'exact' };
    case 'cw2':
      return { gradients: n('iterations') * n('binarySteps'), count: 'exact' };
    case 'he':
      return { gradients: n('iterations') * n('binarySteps'), count: 'exact' };
    case 'he-eot':
      return { gradients: n('iterations') * n('binarySteps') * n('draws') * n('restarts'), count: 'exact' };
    case 'deepfool':
      return { gradients: n('steps') * n('candidates'), count: 'exact' };
    case 'cwinf':
    case 'cw0':
      return { gradients: n('iterations'), count: 'round' };
    default:
      return { gradients: 0, count: 'unknown' };
  }
}

/** Seconds per image of one call on a batch of `size` test images (the second of two calls: the first warms up). */
async function secondsPerImage(fn: () => Promise<unknown>, size: number): Promise<number> {
  await fn();
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000 / size;
}

const hours = (s: number) => (s >= 3600 ? `${(s / 3600).toFixed(1)} h` : `${(s / 60).toFixed(0)} min`);

/**
 * A one-line estimate of what a config costs on this machine: the attacks' gradient counts
 * (from their parameters) times a measured input-gradient time, and the classification stage's
 * defended forward passes (R repetitions of every set at every delta, plus the measured games'
 * queries, m per candidate) times a measured time per squeezer row at its operating delta.
 * Adaptive rows count their gradients like the attacks, through the defended model. It measures on
 * 16 test images, so it is a rough guide; CW-inf and CW-0 are counted as one round of
 * their search on c, so the line says "at least" when they are in the grid.
 */
export async function estimateCost(config: ExperimentConfig, registry: Registry, model: Classifier, test: { x: Parameters<Classifier['predict']>[0] }): Promise<string> {
  const size = Math.min(16, test.x.shape[0]!);
  const x = sliceBatch(test.x, 0, size);
  const forward = await secondsPerImage(() => model.predict(x), size);
  const gradient = isDifferentiable(model)
    ? await secondsPerImage(() => model.vjp(x, { data: new Float32Array(size * model.classes).fill(1 / model.classes), shape: [size, model.classes] }), size)
    : undefined;
  let lowerBound = false;
  let unknown = 0;
  let gradients = 0;
  for (const a of config.attacks) {
    const g = gradientsPerSeed(registry, a.spec);
    if (g.count === 'round') lowerBound = true;
    if (g.count === 'unknown') unknown++;
    gradients += g.gradients * config.seeds;
  }
  let adaptiveGradients = 0;
  for (const a of config.adaptive) {
    const g = gradientsPerSeed(registry, a.spec);
    if (g.count === 'unknown') unknown++;
    adaptiveGradients += g.gradients * (a.samples ?? config.seeds);
  }
  let classifySeconds = 0;
  let passes = 0;
  const nMax = Math.max(...config.budgets);
  for (const s of config.squeezers) {
    const squeeze = s.specs.map((spec) => registry.squeezer(spec));
    const randomize = s.operatingDelta > 0 ? registry.randomizer(`${s.randomizer}:${s.operatingDelta}`) : undefined;
    const defended = defend(model, { squeeze, ...(randomize ? { randomize } : {}) });
    const perImage = await secondsPerImage(() => defended.predict(x), size);
    for (const delta of s.deltas) {
      const sets = config.legitimate + config.seeds * config.attacks.length;
      const games = config.games > 0 && (config.gamesAt === 'all' || delta === s.operatingDelta) && nMax <= config.seeds ? config.games * config.m * config.seeds * config.attacks.length : 0;
      const n = sets * config.repetitions + games;
      passes += n;
      classifySeconds += n * perImage;
    }
  }
  const attackSeconds = gradient === undefined ? undefined : gradients * gradient;
  const adaptiveSeconds = gradient === undefined ? undefined : adaptiveGradients * gradient;
  const total = (attackSeconds ?? 0) + classifySeconds + (adaptiveSeconds ?? 0);
  const parts = [
    attackSeconds === undefined ? 'attacks: no gradients on this model' : `attacks ${hours(attackSeconds)} (${gradients.toLocaleString('en')} input gradients at ${(1000 * gradient!).toFixed(1)} ms)`,
    `classification ${hours(classifySeconds)} (${passes.toLocaleString('en')} defended forward passes, ${(1000 * forward).toFixed(1)} ms each undefended)`,
    ...(config.adaptive.length && adaptiveSeconds !== undefined ? [`adaptive ${hours(adaptiveSeconds)} (${adaptiveGradients.toLocaleString('en')} gradients)`] : []),
  ];
  const caveats = [
    ...(lowerBound ? ['CW-inf and CW-0 counted as one round of their search on c'] : []),
    ...(unknown ? [`${unknown} attack(s) not counted`] : []),
  ];
  return `estimated cost on this machine: ${lowerBound || unknown ? 'at least ' : 'about '}${hours(total)}: ${parts.join('; ')}${caveats.length ? ` (${caveats.join('; ')})` : ''}`;
}
