/**
 * SHA-256 of the adversarial examples of the two headline attacks on the default backend, to show
 * that a speed change leaves results bit for bit as they were (same seeds, same examples):
 * CW-2 (100 Adam iterations x 1 binary step, no abort early, next-class targets) and EOT-PGD
 * (k = 10, `--steps` steps, default 5) on uniform 0.5 + median 2x2, and He et al. (20 iterations x
 * 2 search steps, next-class targets, against bit depth 1 + median 2x2), on the first `--n` (default
 * 10) test digits the model classifies correctly. `--workers=1` loads the model on one worker (the
 * L2 search then runs one lane instead of two: the digests must not change). Usage:
 *   node --conditions=@mixnsqueeze/source --import tsx bench/attack-digest.ts [--n=10] [--steps=5] [--workers=2]
 * Prints one JSON line per attack: the digest, success and the attack's elapsed seconds.
 */
import { createHash } from 'node:crypto';
import { argmaxRows, derivedKeys, isDifferentiable, Registry, sliceBatch } from '@mixnsqueeze/core';
import { type AttackBase, attacksPlugin } from '@mixnsqueeze/attacks';
import { OnnxClassifier, loadClassifier, loadMnist } from '@mixnsqueeze/backends';
import { Median, UniformNoise, defend, squeezersPlugin } from '@mixnsqueeze/squeezers';

const arg = (name: string, dflt: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt);
const n = arg('n', 10);
const steps = arg('steps', 5);
const workers = process.argv.find((a) => a.startsWith('--workers='));
const model = await loadClassifier('mnist', { log: () => undefined, ...(workers ? { onnx: { workers: arg('workers', 2) } } : {}) });
if (!isDifferentiable(model)) throw new Error('attack-digest: the default backend gives no gradients');
try {
  const data = loadMnist('test');
  const pred = argmaxRows(await model.predict(sliceBatch(data.x, 0, 200)));
  const found = [...pred.keys()].filter((i) => pred[i] === data.labels[i]).slice(0, n);
  const d = data.x.data.length / data.labels.length;
  const x = { data: new Float32Array(found.length * d), shape: [found.length, ...data.x.shape.slice(1)] };
  found.forEach((i, r) => x.data.set(data.x.data.subarray(i * d, (i + 1) * d), r * d));
  const labels = Int32Array.from(found, (i) => data.labels[i]!);
  const registry = new Registry().use(squeezersPlugin).use(attacksPlugin);
  const mns = defend(model, { randomize: new UniformNoise(0.5), squeeze: [new Median(2)], keys: derivedKeys('00112233445566778899aabbccddeeff') });
  const cases = [
    { name: 'cw2', spec: 'cw2:preset=mnist,iterations=100,binarySteps=1,abortEarly=false', on: model, options: { target: 'next' as const } },
    { name: 'eot-pgd', spec: `eot-pgd:preset=mnist,k=10,steps=${steps}`, on: mns, options: { surface: 'eot:10' } },
    { name: 'he', spec: 'he:preset=mnist,iterations=20,binarySteps=2', on: model, options: { target: 'next' as const } },
  ];
  for (const c of cases) {
    const attack = registry.create<AttackBase<object>>('attack', c.spec);
    const r = await attack.run(c.on, x, labels, { seed: '1', ...c.options });
    const digest = createHash('sha256').update(new Uint8Array(r.adversarial.data.buffer, r.adversarial.data.byteOffset, r.adversarial.data.byteLength)).digest('hex');
    const success = r.success.reduce((a, b) => a + b, 0);
    process.stdout.write(`${JSON.stringify({ attack: c.name, spec: c.spec, n: found.length, sha256: digest, success, seconds: r.elapsedMs / 1000 })}\n`);
  }
} finally {
  if (model instanceof OnnxClassifier) await model.close();
}
