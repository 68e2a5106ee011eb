import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UnknownComponentError, derivedKeys } from '@mixnsqueeze/core';
import { EvCsaGame } from '../src/game/ev-csa-game.ts';
import { poolTruth } from '../src/game/truth.ts';
import { builtinRegistry } from '../src/cli/builtin-registry.ts';
import { parseConfig } from '../src/experiment/config.ts';
import { ResultStore } from '../src/experiment/result-store.ts';
import { type ExperimentEnvironment, runExperiment } from '../src/experiment/runner.ts';
import { AdversaryProcessError } from '../src/isolation/adversary-process-error.ts';
import { gameAdversaries } from '../src/isolation/game-adversaries.ts';
import { pluginModules, recordPluginModule } from '../src/isolation/plugin-modules.ts';
import { bernoulliClassifier, pool } from './synthetic.ts';
import { env, input } from './tiny-experiment.ts';

const PLUGIN = join(import.meta.dirname, '../../../examples/adversary-plugin/src/successive-halving.ts');

/** The stored cells of a tiny run, without the bookkeeping that carries a wall-clock time. */
async function run(
  adversaries?: ExperimentEnvironment['adversaries'],
  adversary = 'adaptive:initial=3,refine=1,contenders=2',
  environment = env(),
): Promise<Record<string, unknown>> {
  const db = join(mkdtempSync(join(tmpdir(), 'mns-iso-')), 'r.db');
  const store = new ResultStore(db);
  const config = parseConfig({ ...input, adversary }) as Parameters<typeof runExperiment>[0];
  store.openRun('run', config, {});
  try {
    await runExperiment(config, { ...environment, ...(adversaries ? { adversaries } : {}) }, store, 'run');
    return Object.fromEntries(store.cells('run').filter((c) => c.key !== 'done').map((c) => [c.key, c.result]));
  } finally {
    store.close();
  }
}

describe("the runner's adversaries", () => {
  it('play in their own process by default, with the results of in-process games', async () => {
    const inProcess = gameAdversaries(env().registry, 'in-process');
    const isolated = await run();
    expect(await run(inProcess)).toEqual(isolated);
    expect(Object.values(isolated).some((c) => (c as { measured?: { games: number } }).measured?.games === input.games)).toBe(true);
  });

  it('an adversary registered in the parent without a module is refused in the child: the default is isolation', async () => {
    const { successiveHalvingPlugin } = await import(PLUGIN);
    const environment = env();
    environment.registry.use(successiveHalvingPlugin);
    const e = await run(undefined, 'successive-halving:m0=2', environment).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(AdversaryProcessError);
    expect((e as Error).message).toMatch(/^adversary 'successive-halving' threw in game 1: unknown adversary 'successive-halving'.*pass the module that registers it/);
    // In-process, by choice, it plays.
    expect(Object.keys(await run(gameAdversaries(environment.registry, 'in-process'), 'successive-halving:m0=2', environment)).length).toBeGreaterThan(0);
  });

  it('check the spec in the parent first: an unknown adversary starts no process', async () => {
    const adversaries = gameAdversaries(builtinRegistry());
    expect(() => adversaries.factory('nobody')).toThrow(UnknownComponentError);
    await adversaries.close();
  });

  it('load the plugin modules the registry recorded (as the CLI does for --plugin) in the child', async () => {
    const registry = builtinRegistry();
    const { successiveHalvingPlugin } = await import(PLUGIN);
    registry.use(successiveHalvingPlugin);
    recordPluginModule(registry, PLUGIN);
    expect(pluginModules(registry)).toEqual([PLUGIN]);
    const adversaries = gameAdversaries(registry, 'process', { plugins: pluginModules(registry), log: () => undefined });
    try {
      const p = [0.9, 0.1, 0.8, 0.2];
      const { x, labels } = pool(p.length);
      const game = new EvCsaGame({ classifier: bernoulliClassifier(p, derivedKeys('ab'.repeat(16))), truth: poolTruth(x, labels), budget: 2, box: 'black', description: 'plugin' });
      const outcome = await game.play(adversaries.factory('successive-halving:m0=4')(x, labels));
      expect(outcome.attackQueries).toBe(2);
      expect(outcome.classifyQueries).toBeGreaterThan(0);
    } finally {
      await adversaries.close();
    }
  });
});
