import { type Batch, type FeatureSpace, Registry, derivedKeys, imageSpace, isRandomizer } from '@mixnsqueeze/core';
import { squeezersPlugin } from '@mixnsqueeze/squeezers';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type BenchGroup, throughput } from '../measurement.ts';

function images(n: number, h: number, w: number, c: number): Batch {
  // Smooth strokes plus texture, in [0, 1]: closer to real digits than uniform noise.
  const data = new Float32Array(n * h * w * c);
  for (let i = 0; i < data.length; i++) data[i] = Math.min(1, Math.max(0, 0.5 + 0.5 * Math.sin(i * 0.071) + 0.2 * Math.sin(i * 1.37)));
  return { data, shape: [n, h, w, c] };
}

const CASES: readonly { specs: string[]; gray: boolean; color: boolean; imagenet?: boolean }[] = [
  { specs: ['bit-depth:1'], gray: true, color: true },
  { specs: ['bit-depth:5'], gray: true, color: true, imagenet: true },
  { specs: ['median:2x2'], gray: true, color: true, imagenet: true },
  { specs: ['median:3x3'], gray: true, color: true, imagenet: true },
  { specs: ['median:5x5'], gray: true, color: false },
  { specs: ['nlm:11-3-4'], gray: true, color: true, imagenet: true },
  { specs: ['nlm:13-3-2'], gray: false, color: true },
  { specs: ['uniform:0.5'], gray: true, color: true },
  { specs: ['gaussian:0.1'], gray: true, color: false },
  { specs: ['uniform:0.5', 'median:2x2'], gray: true, color: true },
  { specs: ['uniform:0.1', 'median:2x2'], gray: false, color: false, imagenet: true },
];

/**
 * Throughput of every squeezer and randomizer on 1,000 28x28x1 and 100 32x32x3 images, and of
 * ImageNet's squeezers on 8 224x224x3 images, one thread.
 */
export const squeezersBench: BenchGroup = {
  name: 'squeezers',
  description: 'squeezer and randomizer throughput, single thread',
  async run(report) {
    const registry = new Registry().use(squeezersPlugin);
    const sets: { name: string; x: Batch; space: FeatureSpace; kind: 'gray' | 'color' | 'imagenet' }[] = [
      { name: '28x28x1', x: images(1000, 28, 28, 1), space: imageSpace(28, 28, 1), kind: 'gray' },
      { name: '32x32x3', x: images(100, 32, 32, 3), space: imageSpace(32, 32, 3), kind: 'color' },
      { name: '224x224x3', x: images(8, 224, 224, 3), space: imageSpace(224, 224, 3), kind: 'imagenet' },
    ];
    const keys = derivedKeys('2a'.repeat(32));
    let uniformRate = 0;
    for (const set of sets) {
      for (const c of CASES) {
        if (!(set.kind === 'gray' ? c.gray : set.kind === 'color' ? c.color : c.imagenet)) continue;
        const ts = c.specs.map((s) => registry.transform(s));
        const n = set.x.shape[0]!;
        const rate = await throughput(n, () => {
          let y = set.x;
          for (const t of ts) y = isRandomizer(t) ? t.apply(y, set.space, keys.next()) : t.apply(y, set.space);
          return y;
        });
        report({ bench: 'squeezers', case: `${c.specs.join(' -> ')} ${set.name}`, batch: n, workers: 1, images_per_s: rate });
        if (set.kind === 'gray' && c.specs.length === 1 && c.specs[0] === 'uniform:0.5') uniformRate = rate;
      }
    }
    // The randomizer's cost relative to one CNN forward pass, measured side by side: the shipped
    // MNIST CNN on one ONNX Runtime session with one thread.
    const onnx = fileURLToPath(new URL('../../packages/backends/models/mnist/model.onnx', import.meta.url));
    if (existsSync(onnx) && uniformRate > 0) {
      const { OnnxClassifier } = await import('@mixnsqueeze/backends');
      const cnn = await OnnxClassifier.load(onnx, { workers: 1, intraOpThreads: 1 });
      try {
        const x = sets[0]!.x;
        const rate = await throughput(x.shape[0]!, () => cnn.predict(x));
        report({ bench: 'squeezers', case: 'cnn forward 28x28x1 (onnx, 1 thread)', batch: x.shape[0]!, workers: 1, images_per_s: rate });
        report({ bench: 'squeezers', case: `uniform:0.5 cost / cnn forward = ${((100 * rate) / uniformRate).toFixed(1)}%`, batch: x.shape[0]!, workers: 1, images_per_s: uniformRate });
      } finally {
        await cnn.close();
      }
    }
  },
};
