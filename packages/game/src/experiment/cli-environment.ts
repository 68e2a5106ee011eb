import { type Batch, type Classifier, type Registry } from '@mixnsqueeze/core';
import { defend } from '@mixnsqueeze/squeezers';
import { AdversarialCache, type AttackBase, defaultCacheDir, fingerprintArray } from '@mixnsqueeze/attacks';
import { attackSummary } from './attack-summary.ts';
import { gameAdversaries } from '../isolation/game-adversaries.ts';
import { pluginModules } from '../isolation/plugin-modules.ts';
import { loadClassifier, loadDataset } from '@mixnsqueeze/backends';
import { type ExperimentConfig } from './config.ts';
import { modelFingerprint } from './model-fingerprint.ts';
import { type ExperimentEnvironment, type SampleProgress } from './runner.ts';

/**
 * The environment a CLI run uses: the model as `loadClassifier` gives it (a zoo model on ONNX
 * Runtime with its gradient graph when it ships an ONNX export: the classification stage makes
 * millions of defended forward passes, and the attacks' gradients run several times the tfjs-wasm
 * rate), for both the classification stage and the attacks. Adversarial sets go through the
 * on-disk cache.
 */
export async function cliEnvironment(
  config: ExperimentConfig,
  registry: Registry,
  log: (line: string) => void,
): Promise<{ env: ExperimentEnvironment; close(): Promise<void> }> {
  const model = await loadClassifier(config.model, { log });
  const attackModel = model;
  const test = await loadDataset(config.dataset, { split: 'test' });
  const cache = new AdversarialCache(defaultCacheDir(), log);
  const fingerprint = await modelFingerprint(config.model);
  // The games' adversary plays in a child of its own that loads the plugin modules this registry loaded.
  const adversaries = gameAdversaries(registry, 'process', { plugins: pluginModules(registry), log });
  const generate = async (
    spec: string,
    target: 'untargeted' | 'next' | 'll',
    surface: string | undefined,
    victim: Classifier,
    defense: readonly string[],
    seeds: Batch,
    labels: Int32Array,
    seed: string,
    progress?: SampleProgress,
  ) => {
    const attack = registry.create<AttackBase<object>>('attack', spec);
    const key = {
      model: fingerprint,
      defense,
      dataset: config.dataset,
      slice: fingerprintArray(seeds.data),
      attack: attack.spec,
      surface: surface ?? 'default',
      target,
      seed,
      ...(config.roundTo === 'uint8' ? { extra: { roundTo: 'uint8' } } : {}),
    };
    const roundTo = config.roundTo === 'uint8' ? { roundTo: 'uint8' as const } : {};
    const { report } = await cache.getOrCreate(key, () =>
      attack.run(victim, seeds, labels, { target, seed, ...roundTo, ...(surface ? { surface } : {}), ...(progress ? { onProgress: progress } : {}) }),
    );
    return { adversarial: report.adversarial, success: report.success, summary: attackSummary(report) };
  };
  const env: ExperimentEnvironment = {
    registry,
    model,
    test: { x: test.x, labels: test.labels },
    adversaries,
    attack: (entry, seeds, labels, seed, progress) => generate(entry.spec, entry.target, entry.surface, attackModel, [], seeds, labels, seed, progress),
    adaptiveAttack: async (entry, row, seeds, labels, seed, defenseKeys, progress) => {
      if (!entry.surface) {
        const r = await generate(entry.spec, entry.target, undefined, attackModel, [], seeds, labels, seed, progress);
        return { adversarial: r.adversarial, summary: r.summary };
      }
      const randomizer = `${row.randomizer}:${row.operatingDelta}`;
      const defense = [randomizer, ...row.specs];
      const target = defend(attackModel, {
        randomize: registry.randomizer(randomizer),
        squeeze: row.specs.map((s) => registry.squeezer(s)),
        keys: defenseKeys,
      });
      const r = await generate(entry.spec, entry.target, entry.surface, target, defense, seeds, labels, seed, progress);
      return { adversarial: r.adversarial, summary: r.summary };
    },
  };
  return {
    env,
    close: async () => {
      await adversaries.close();
      const closable = model as { close?: () => Promise<void> | void; dispose?: () => void };
      await closable.close?.();
      closable.dispose?.();
    },
  };
}
