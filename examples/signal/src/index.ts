/**
 * Example: randomized squeezing of 1-D signals. The zoo's waveforms CNN tells sine, square,
 * sawtooth and triangle waves (64 steps in [-1, 1], generated from a seeded PRG, so nothing is
 * downloaded). The defense adds independent noise to every time step, then takes a median over 3
 * steps and rounds to 32 amplitude levels (time-quantize with window 1: longer windows cost this
 * model, which never saw held signals, most of its clean accuracy). PGD attacks the bare model.
 * Run: npx tsx examples/signal/src/index.ts
 */
import { type Batch, Registry, argmaxRows, derivedKeys } from '@mixnsqueeze/core';
import { attacksPlugin, type AttackBase } from '@mixnsqueeze/attacks';
import { loadClassifier, loadDataset, takeSamples } from '@mixnsqueeze/backends';
import { defend, squeezersPlugin } from '@mixnsqueeze/squeezers';

export interface SignalResult {
  readonly specs: readonly string[];
  readonly cleanAccuracy: number;
  readonly defendedCleanAccuracy: number;
  readonly attackedAccuracy: number;
  readonly defendedAttackedAccuracy: number;
}

const accuracy = (logits: Batch, labels: Int32Array) => argmaxRows(logits).reduce((s, p, i) => s + Number(p === labels[i]), 0) / labels.length;

export async function runSignalExample(samples = 200, seed = '00112233445566778899aabbccddeeff'): Promise<SignalResult> {
  const registry = new Registry().use(squeezersPlugin).use(attacksPlugin);
  const model = await loadClassifier('waveforms', { backend: 'cpu', log: () => {} });
  const { x, labels } = takeSamples(await loadDataset('waveforms', { split: 'test' }), samples);
  const defense = defend(model, {
    randomize: registry.randomizer('uniform:0.05'),
    squeeze: [registry.squeezer('median1d:3'), registry.squeezer('time-quantize:window=1,levels=32')],
    keys: derivedKeys(seed),
  });
  const pgd = registry.create<AttackBase<object>>('attack', 'pgd:eps=0.1,step=0.01,steps=20');
  const { adversarial } = await pgd.run(model, x, labels, { seed });
  return {
    specs: defense.specs,
    cleanAccuracy: accuracy(await model.predict(x), labels),
    defendedCleanAccuracy: accuracy(await defense.predict(x), labels),
    attackedAccuracy: accuracy(await model.predict(adversarial), labels),
    defendedAttackedAccuracy: accuracy(await defense.predict(adversarial), labels),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await runSignalExample());
