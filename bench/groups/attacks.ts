import * as tf from '@tensorflow/tfjs';
import { fileURLToPath } from 'node:url';
import {
  type Batch,
  type Classifier,
  type DifferentiableClassifier,
  type TargetMode,
  Registry,
  UnknownComponentError,
  argmaxRows,
  derivedKeys,
  isDifferentiable,
  logitsAndGradient,
  sliceBatch,
} from '@mixnsqueeze/core';
import { type AttackBase, attacksPlugin } from '@mixnsqueeze/attacks';
import { OnnxClassifier, TfjsClassifier, loadClassifier, loadMnist } from '@mixnsqueeze/backends';
import { Median, UniformNoise, defend, squeezersPlugin } from '@mixnsqueeze/squeezers';
import { type BenchGroup, type Measurement, type Report } from '../measurement.ts';
import { PEER_HINT, type PeerCase, type PeerResult, TorchPeer, peerAvailable } from './torch-peer.ts';

const SHIPPED = fileURLToPath(new URL('../../packages/backends/models/mnist/model.json', import.meta.url));
const SEEDS = 100;
/**
 * How the PyTorch peer feeds the EOT draws to its model: looped, 10 batches of 100, ran 5-7x faster
 * than stacked, one batch of 1,000 (1,200-1,400 against 210 gradient samples/s, 2026-12-05, loaded
 * 2-core machine): at 1,000 images each activation is 86 MB, out of cache and freshly mapped per call.
 */
const PEER_EOT = 'looped';

interface Case {
  readonly spec: string;
  /** Run on Mix'n'Squeeze (uniform 0.5 + median 2x2) on the surface named, else on the model. */
  readonly defended?: { readonly surface: string };
  readonly target?: TargetMode;
  /** Seeds attacked (default all 100): the small-budget cases of the slow attacks take a few. */
  readonly samples?: number;
  /** The case bench/torch_peer.py computes the same way. */
  readonly peer?: PeerCase;
}

/**
 * The cases of the attack-speed issue. Headline: CW-2 (100 Adam iterations x 1 binary step, no
 * abort early, next-class targets) and EOT-PGD (k = 10, 40 steps) on Mix'n'Squeeze, both with a
 * PyTorch peer. The slow attacks run small budgets (CW-inf, CW-0: 100 iterations per value of c, 20
 * seeds; He et al.: 100 iterations x 1 search step, 100 seeds): seconds each, for their rate of
 * model calls, not their strength. 20 seeds give shards of 10 samples per worker, where a gradient
 * costs about what it costs at 50; 5 seeds (2-3 per worker) measured mostly per-call overhead.
 */
const CASES: readonly Case[] = [
  { spec: 'fgsm:mnist' },
  { spec: 'bim:mnist' },
  { spec: 'pgd:mnist' },
  { spec: 'cw2:preset=mnist,iterations=100,binarySteps=1,abortEarly=false', target: 'next', peer: 'cw2' },
  { spec: 'eot-pgd:preset=mnist,k=10,steps=40', defended: { surface: 'eot:10' }, peer: 'eot-pgd' },
  { spec: 'cwinf:preset=mnist,iterations=100', target: 'next', samples: 20 },
  { spec: 'cw0:preset=mnist,iterations=100', target: 'next', samples: 20 },
  { spec: 'deepfool' },
  { spec: 'jsma:mnist', target: 'next' },
  { spec: 'he:preset=mnist,iterations=100,binarySteps=1', target: 'next' },
];

/** `--only=cw2,eot-pgd` runs the cases whose spec starts with one of these; `--tfjs` adds the headline cases on tfjs-wasm. */
function options(): { only: string[] | undefined; tfjs: boolean } {
  const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
  return { only, tfjs: process.argv.includes('--tfjs') };
}

/**
 * Time, model calls and gradient rate per attack on the default backend (the shipped MNIST CNN,
 * `loadClassifier('mnist')`: ONNX Runtime with its gradient graph, one session per worker), seeds
 * the first 100 official test digits it classifies correctly. images_per_s is gradient samples per
 * second (an EOT draw counts as a sample). Where `/usr/bin/python3` imports torch, the headline
 * cases run in PyTorch too (bench/torch_peer.py, 2 threads with passive OpenMP waiting, the same
 * weights and seeds, logits checked), each right after ours, never beside it: pytorch_s beside seconds, and pytorch_over_ours = PyTorch time /
 * ours (> 1: we are faster). cpu_s and pytorch_cpu_s are the CPU time of all threads of each
 * process during the attack, and pytorch_over_ours_cpu their ratio: on a machine shared with other
 * work, wall times swing 3x from run to run while CPU time measures the work done. `--tfjs` runs the headline cases on tfjs-wasm as well (minutes).
 */
export const attacksBench: BenchGroup = {
  name: 'attacks',
  description: 'time, model calls and gradient samples/s per attack (images_per_s), MNIST seeds, default backend; PyTorch peer for CW-2 and EOT-PGD',
  async run(report: Report) {
    const opts = options();
    const cases = CASES.filter((c) => !opts.only || opts.only.some((p) => c.spec.startsWith(p)));
    const log = (line: string) => void process.stderr.write(`  ${line}`);
    const model = await loadClassifier('mnist', { log });
    if (!isDifferentiable(model)) throw new Error('bench attacks: the default backend of the mnist model gives no gradients');
    const close = () => (model instanceof OnnxClassifier ? model.close() : Promise.resolve());
    try {
      const { x, labels } = await seeds(model);
      const registry = new Registry().use(squeezersPlugin).use(attacksPlugin);
      let peer: TorchPeer | undefined;
      if (cases.some((c) => c.peer)) {
        if (peerAvailable()) peer = await TorchPeer.prepare(SHIPPED, model.space, x, labels, await model.predict(x));
        else process.stderr.write(`  PyTorch peer skipped: ${PEER_HINT}\n`);
      }
      try {
        const backend = model instanceof OnnxClassifier ? 'onnx' : `tfjs-${tf.getBackend()}`;
        await runCases(report, registry, model, backend, cases, x, labels, peer);
      } finally {
        peer?.dispose();
      }
      if (!opts.tfjs) return;
      const wasm = await TfjsClassifier.load(SHIPPED, { backend: 'wasm', log });
      try {
        await runCases(report, registry, wasm, `tfjs-${tf.getBackend()}`, cases.filter((c) => c.peer), x, labels, undefined);
      } finally {
        wasm.dispose();
      }
    } finally {
      await close();
    }
  },
};

/** The first 100 official MNIST test digits the model classifies correctly (firstCorrect of the experiment runner). */
async function seeds(model: Classifier): Promise<{ x: Batch; labels: Int32Array }> {
  const data = loadMnist('test');
  const found: number[] = [];
  for (let s = 0; s < data.labels.length && found.length < SEEDS; s += 500) {
    const pred = argmaxRows(await model.predict(sliceBatch(data.x, s, s + 500)));
    pred.forEach((p, i) => found.length < SEEDS && p === data.labels[s + i] && found.push(s + i));
  }
  const d = data.x.data.length / data.labels.length;
  const x = { data: new Float32Array(found.length * d), shape: [found.length, ...data.x.shape.slice(1)] };
  found.forEach((i, r) => x.data.set(data.x.data.subarray(i * d, (i + 1) * d), r * d));
  return { x, labels: Int32Array.from(found, (i) => data.labels[i]!) };
}

async function runCases(
  report: Report,
  registry: Registry,
  model: DifferentiableClassifier,
  backend: string,
  cases: readonly Case[],
  x: Batch,
  labels: Int32Array,
  peer: TorchPeer | undefined,
): Promise<void> {
  // Warm-up: the first gradient call compiles the backend's kernels (or starts its sessions), and
  // on ONNX Runtime the whole graph (vjp) and its forward and backward parts (vjpWith, what the
  // attacks call) are separate sessions in every worker; no attack should pay for starting them.
  const warm = sliceBatch(x, 0, 10);
  const zeros = { data: new Float32Array(10 * model.classes), shape: [10, model.classes] };
  await model.vjp(warm, zeros);
  await logitsAndGradient(model, warm, () => zeros);
  const mns = defend(model, { randomize: new UniformNoise(0.5), squeeze: [new Median(2)], keys: derivedKeys('00112233445566778899aabbccddeeff') });
  const workers = model instanceof OnnxClassifier ? model.info.workers : 1;
  for (const c of cases) {
    let attack: AttackBase<object>;
    try {
      attack = registry.create<AttackBase<object>>('attack', c.spec);
    } catch (e) {
      if (!(e instanceof UnknownComponentError)) throw e;
      process.stderr.write(`  skipped ${c.spec}: not registered\n`);
      continue;
    }
    const n = Math.min(c.samples ?? SEEDS, labels.length);
    const cpu0 = process.cpuUsage();
    const r = await attack.run(c.defended ? mns : model, sliceBatch(x, 0, n), labels.subarray(0, n), {
      seed: '1',
      ...(c.target ? { target: c.target } : {}),
      ...(c.defended ? { surface: c.defended.surface } : {}),
    });
    const cpu = process.cpuUsage(cpu0);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const seconds = r.elapsedMs / 1000;
    const row: Record<string, string | number | boolean> = {
      bench: 'attacks',
      case: c.spec.replace(/:.*/, ''),
      backend,
      workers,
      batch: n,
      seconds: Number(seconds.toFixed(2)),
      cpu_s: Number(cpuSeconds.toFixed(2)),
      forward: r.queries.forward,
      gradient: r.queries.gradient,
      images_per_s: r.queries.gradient / seconds,
      success: `${r.success.reduce((a, b) => a + b, 0)}/${n}`,
      target: typeof c.target === 'string' ? c.target : 'none',
      spec: c.defended ? `${c.spec} on uniform:0.5+median:2x2, ${r.surface}` : c.spec,
    };
    if (c.peer && peer) Object.assign(row, peerColumns(peer.run(c.peer, PEER_EOT), seconds, cpuSeconds));
    report(row as unknown as Measurement);
  }
}

function peerColumns(p: PeerResult, ours: number, oursCpu: number): Record<string, string | number> {
  return {
    pytorch_s: Number(p.seconds.toFixed(2)),
    pytorch_cpu_s: Number(p.cpu_seconds.toFixed(2)),
    pytorch_success: `${p.success}/${p.n}`,
    pytorch_over_ours: Number((p.seconds / ours).toFixed(2)),
    pytorch_over_ours_cpu: Number((p.cpu_seconds / oursCpu).toFixed(2)),
    pytorch: `torch ${p.torch}, ${p.threads} threads (OMP_WAIT_POLICY ${p.omp_wait_policy}), ${p.layout}, BLAS ${p.blas}${p.eot ? `, EOT ${p.eot}` : ''}, logits within ${p.logit_max_abs_diff.toExponential(1)}`,
  };
}
