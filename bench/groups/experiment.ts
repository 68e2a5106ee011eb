import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { derivedKeys, sliceBatch } from '@mixnsqueeze/core';
import { OnnxClassifier, loadMnist } from '@mixnsqueeze/backends';
import { Median, UniformNoise, defend } from '@mixnsqueeze/squeezers';
import { builtinConfig, repeatedClassification } from '@mixnsqueeze/game';
import { type BenchGroup } from '../measurement.ts';

const ONNX = fileURLToPath(new URL('../../packages/backends/models/mnist/model.onnx', import.meta.url));
const REPETITIONS = Number(process.env.MNS_BENCH_REPS ?? 20);

/**
 * The classification stage of `reproduce mnist` (the full protocol): every (squeezer, delta) cell
 * classifies the legitimate set and every adversarial set R times through the defense. Its cost
 * does not depend on whether the images are adversarial (bit depth and median cost the same on any
 * input), so one cell on 1,000 real test digits, timed as the runner runs it, gives the stage's
 * throughput; the stage time follows from the grid's size. Repetitions per timing: MNS_BENCH_REPS
 * (default 20; the cost is linear in R).
 */
export const experimentBench: BenchGroup = {
  name: 'experiment',
  description: "classification stage of the full MNIST protocol: defended classifications/s as the runner issues them, and the stage's wall time",
  async run(report) {
    const config = builtinConfig('mnist-paper');
    const cells = config.squeezers.reduce((a, s) => a + s.deltas.length, 0);
    const perCell = (config.legitimate + config.attacks.length * config.seeds) * config.repetitions;
    const stage = cells * perCell;
    const test = loadMnist('test');
    const x = sliceBatch(test.x, 0, 1000);
    const labels = test.labels.subarray(0, 1000);
    const workers = availableParallelism();
    const ort = await OnnxClassifier.load(ONNX, { workers });
    try {
      for (const inflight of [1, 4]) {
        const keys = derivedKeys('0123456789abcdef0123456789abcdef');
        const classifier = (r: number) => defend(ort, { randomize: new UniformNoise(0.5), squeeze: [new Median(2)], keys: keys.fork(`rep=${r}`) });
        await repeatedClassification(classifier, x, labels, 2, { inflight });
        const t0 = performance.now();
        await repeatedClassification(classifier, x, labels, REPETITIONS, { inflight });
        const seconds = (performance.now() - t0) / 1000;
        const images_per_s = (REPETITIONS * 1000) / seconds;
        report({
          bench: 'experiment',
          case: `uniform 0.5 + median 2x2, ${inflight} chunk${inflight > 1 ? 's' : ''} of 1000 in flight`,
          batch: 1000,
          workers,
          images_per_s,
          backend: 'onnx',
          stage_classifications: stage,
          stage_minutes: Number((stage / images_per_s / 60).toFixed(1)),
        });
      }
    } finally {
      await ort.close();
    }
  },
};
