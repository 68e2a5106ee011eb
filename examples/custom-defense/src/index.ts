/**
 * Example: compose a defense from registry specs and a user-written squeezer plugin, then compare
 * clean predictions with and without it. Run: npx tsx examples/custom-defense/src/index.ts
 */
import { type Batch, LinearClassifier, Registry, argmaxRows, derivedKeys, imageSpace } from '@mixnsqueeze/core';
import { defend, squeezersPlugin } from '@mixnsqueeze/squeezers';
import { boxBlurPlugin } from './box-blur.ts';

export { BoxBlur, boxBlurPlugin } from './box-blur.ts';

export interface ExampleResult {
  readonly specs: string[];
  readonly agreement: number;
  readonly stochastic: boolean;
  readonly differentiable: boolean;
}

export async function runExample(seed = '00112233445566778899aabbccddeeff'): Promise<ExampleResult> {
  const registry = new Registry().use(squeezersPlugin).use(boxBlurPlugin);
  const space = imageSpace(8, 8, 1);
  // A stand-in model: any Classifier works here, e.g. loadClassifier('mnist') from @mixnsqueeze/backends.
  const model = new LinearClassifier(
    space,
    Float64Array.from({ length: 4 * 64 }, (_, i) => Math.sin(i * 0.37)),
    new Float64Array(4),
  );
  const defense = defend(model, {
    randomize: registry.randomizer('uniform:0.1'),
    squeeze: [registry.squeezer('box-blur:3'), registry.squeezer('bit-depth:4')],
    keys: derivedKeys(seed),
  });
  const x: Batch = { data: Float32Array.from({ length: 50 * 64 }, (_, i) => Math.abs(Math.sin(i * 12.9898) * 43758.5453) % 1), shape: [50, 8, 8, 1] };
  const clean = argmaxRows(await model.predict(x));
  const defended = argmaxRows(await defense.predict(x));
  let same = 0;
  for (let i = 0; i < clean.length; i++) if (clean[i] === defended[i]) same++;
  return { specs: defense.specs, agreement: same / clean.length, stochastic: defense.stochastic, differentiable: 'vjp' in defense };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await runExample();
  console.log(`defense ${r.specs.join(' -> ')}: ${(r.agreement * 100).toFixed(0)}% of clean labels kept (stochastic: ${r.stochastic}, differentiable: ${r.differentiable})`);
}
