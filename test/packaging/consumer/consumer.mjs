// A third party's plain-JavaScript program, run with plain `node` (no loader, no build step) in a
// fresh project where the packed tarballs were installed (test/packaging.test.ts). It defends and
// attacks the shipped MNIST model end to end, plays an EV-CSA game whose adversary comes from an
// installed plugin package and runs in its own process, and prints a JSON summary.
import { fileURLToPath } from 'node:url';
import { LinearClassifier, Registry, argmaxRows, derivedKeys, featureSpace, gatherRows } from '@mixnsqueeze/core';
import { defend, squeezersPlugin } from '@mixnsqueeze/squeezers';
import { loadClassifier, loadMnist } from '@mixnsqueeze/backends';
import { attacksPlugin } from '@mixnsqueeze/attacks';
import { AdversaryHost, EvCsaGame, IsolatedAdversary, gamePlugin, poolTruth } from '@mixnsqueeze/game';
import { boxBlurPlugin } from '@mixnsqueeze-examples/custom-defense';
import { miFgsmPlugin } from '@mixnsqueeze-examples/attack-plugin';
import { successiveHalvingPlugin } from '@mixnsqueeze-examples/adversary-plugin';

const SEED = '00112233445566778899aabbccddeeff';
const registry = new Registry().use(squeezersPlugin).use(attacksPlugin).use(gamePlugin).use(boxBlurPlugin).use(miFgsmPlugin).use(successiveHalvingPlugin);
const accuracy = (scores, labels) => argmaxRows(scores).reduce((n, c, i) => n + (c === labels[i] ? 1 : 0), 0) / labels.length;

// The zoo's MNIST model (its files ship in @mixnsqueeze/backends) on ONNX Runtime, in two worker
// threads (the pool's worker script is located next to the built module), and eight test digits.
const model = await loadClassifier('mnist', { onnx: { workers: 2 } });
const test = loadMnist('test');
const rows = [0, 1, 2, 3, 4, 5, 6, 7];
const x = gatherRows(test.x, rows);
const labels = Int32Array.from(rows, (i) => test.labels[i]);

const defense = defend(model, { randomize: registry.randomizer('uniform:0.2'), squeeze: [registry.squeezer('bit-depth:1'), registry.squeezer('box-blur:1')], keys: derivedKeys(SEED) });
const fgsm = await registry.create('attack', 'fgsm:eps=0.3').run(model, x, labels);
const miFgsm = await registry.create('attack', 'mi-fgsm:eps=0.3,steps=3').run(model, x, labels);
const summary = {
  clean: accuracy(await model.predict(x), labels),
  defendedClean: accuracy(await defense.predict(x), labels),
  fgsmSuccess: fgsm.success.reduce((a, b) => a + b, 0) / rows.length,
  miFgsmSuccess: miFgsm.success.reduce((a, b) => a + b, 0) / rows.length,
  defendedUnderFgsm: accuracy(await defense.predict(fgsm.adversarial), labels),
  specs: defense.specs,
};
await model.close();

// One game against a randomized linear model, played by the plugin's adversary in this process and
// in its own child process (from the installed plugin's built module): the same outcome.
const linear = new LinearClassifier(featureSpace([4]), Float64Array.of(4, 4, 4, 4, -4, -4, -4, -4), Float64Array.of(0, 16));
const pool = { data: new Float32Array(16 * 4), shape: [16, 4] };
for (let i = 0; i < 16; i++) pool.data.fill(0.52 + (0.1 * i) / 16, i * 4, i * 4 + 4);
const poolLabels = argmaxRows(await linear.predict(pool));
const play = (adversary) =>
  new EvCsaGame({
    classifier: defend(linear, { randomize: registry.randomizer('uniform:0.3'), keys: derivedKeys(SEED).fork('game') }),
    truth: poolTruth(pool, poolLabels),
    budget: 3,
    box: 'black',
    description: 'packaging check',
  }).play(adversary);
const spec = 'successive-halving:m0=2';
const inProcess = await play(registry.adversary(spec)(pool, poolLabels));
const host = new AdversaryHost({ plugins: [fileURLToPath(import.meta.resolve('@mixnsqueeze-examples/adversary-plugin'))] });
try {
  summary.isolatedGameAgrees = JSON.stringify(await play(new IsolatedAdversary(host, spec, pool, poolLabels))) === JSON.stringify(inProcess);
} finally {
  await host.close();
}
console.log(JSON.stringify(summary));
