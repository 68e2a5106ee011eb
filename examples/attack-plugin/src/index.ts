/**
 * Example: a third-party attack plugin. Run: npx tsx examples/attack-plugin/src/index.ts
 * (attacks a tiny linear model with the plugin's MI-FGSM, by its spec, through the registry).
 */
import { LinearClassifier, Registry, argmaxRows, featureSpace } from '@mixnsqueeze/core';
import { type AttackBase, attacksPlugin } from '@mixnsqueeze/attacks';
import { miFgsmPlugin } from './mi-fgsm.ts';

export { MiFgsm, miFgsmParams, miFgsmPlugin, type MiFgsmParams } from './mi-fgsm.ts';

export interface ExampleResult {
  readonly spec: string;
  readonly successRate: number;
  readonly maxLinf: number;
}

/** Builds a registry with the built-in attacks and the plugin, and runs the plugin's attack by id. */
export async function runExample(spec = 'mi-fgsm:eps=0.2,steps=5'): Promise<ExampleResult> {
  const registry = new Registry().use(attacksPlugin).use(miFgsmPlugin);
  const space = featureSpace([8]);
  const model = new LinearClassifier(space, Float64Array.from({ length: 24 }, (_, i) => Math.sin(i * 1.3) * 2), new Float64Array(3));
  const x = { data: Float32Array.from({ length: 10 * 8 }, (_, i) => 0.5 + 0.4 * Math.sin(i * 0.9)), shape: [10, 8] };
  const labels = argmaxRows(await model.predict(x));
  const attack = registry.create<AttackBase<object>>('attack', spec);
  const r = await attack.run(model, x, labels);
  return { spec: attack.spec, successRate: r.success.reduce((a, b) => a + b, 0) / 10, maxLinf: Math.max(...r.perturbationNorms.linf) };
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await runExample());
