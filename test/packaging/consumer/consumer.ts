// A third party's TypeScript program, type-checked with `tsc --strict` against the installed
// packages' declarations (test/packaging.test.ts); it is never run.
import { type AttackResult, type Batch, type Classifier, Registry, argmaxRows, derivedKeys } from '@mixnsqueeze/core';
import { type DefendedClassifier, defend, squeezersPlugin } from '@mixnsqueeze/squeezers';
import { type Dataset, loadClassifier, loadMnist } from '@mixnsqueeze/backends';
import { type AttackBase, attacksPlugin } from '@mixnsqueeze/attacks';
import { AdversaryHost, type AdversaryHostOptions, EvCsaGame, gamePlugin } from '@mixnsqueeze/game';
import { type MiFgsmParams, miFgsmPlugin } from '@mixnsqueeze-examples/attack-plugin';

export async function evaluate(seed: string): Promise<{ clean: Int32Array; attacked: AttackResult; defense: DefendedClassifier }> {
  const registry: Registry = new Registry().use(squeezersPlugin).use(attacksPlugin).use(gamePlugin).use(miFgsmPlugin);
  const model: Classifier = await loadClassifier('mnist');
  const test: Dataset = loadMnist('test');
  const x: Batch = test.x;
  const defense = defend(model, { randomize: registry.randomizer('uniform:0.2'), squeeze: [registry.squeezer('bit-depth:1')], keys: derivedKeys(seed) });
  const params: MiFgsmParams = { eps: 0.3, steps: 3, decay: 1 };
  const attack = registry.create<AttackBase<object>>('attack', `mi-fgsm:eps=${params.eps},steps=${params.steps}`);
  const attacked = await attack.run(defense, x, test.labels);
  return { clean: argmaxRows(await model.predict(x)), attacked, defense };
}

export const hostOptions: AdversaryHostOptions = { plugins: [], timeoutMs: 60_000 };
export const host = new AdversaryHost(hostOptions);
export type Game = EvCsaGame;

// The declarations are real types, not `any`: a wrong argument is an error.
// @ts-expect-error derivedKeys takes a seed string
derivedKeys(42);
