import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { type Adversary, type Batch, type Classifier, type GameOutcome, derivedKeys, gatherRows, type Squeezer } from '@mixnsqueeze/core';
import { OnnxClassifier, loadMnist } from '@mixnsqueeze/backends';
import { BitDepth, Median, UniformNoise, defend } from '@mixnsqueeze/squeezers';
import { EvCsaGame, builtinRegistry, poolTruth } from '@mixnsqueeze/game';
import { AdversaryHost } from '../../packages/game/src/isolation/adversary-host.ts';
import { IsolatedAdversary } from '../../packages/game/src/isolation/isolated-adversary.ts';
import { type BenchGroup } from '../measurement.ts';

const ONNX = fileURLToPath(new URL('../../packages/backends/models/mnist/model.onnx', import.meta.url));
const GAMES = Number(process.env.MNS_BENCH_GAMES ?? 4);
const SPEC = 'greedy:m=200';
const N = 25;

/** A classifier that costs nothing: what is left of a game's time is the adversary's and the oracles' bookkeeping. */
function freeClassifier(model: Classifier): Classifier {
  return { space: model.space, classes: model.classes, stochastic: true, predict: async (x) => ({ data: new Float32Array(x.shape[0]! * 10), shape: [x.shape[0]!, 10] }) };
}

/**
 * The EV-CSA game as the runner plays it (the paper's A*: greedy, m = 200 Classify queries on each
 * of 100 candidates, N = 25), with the adversary in-process and in its own process
 * (AdversaryHost), on the same keys: the outcomes must agree, and the ratio of the two times is
 * the isolation's cost. The child's start is timed apart (once per run). Games per mode:
 * MNS_BENCH_GAMES (default 4), alternating the modes.
 */
export const adversaryProcessBench: BenchGroup = {
  name: 'adversary-process',
  description: 'one EV-CSA game (greedy m=200, 100 candidates, N=25) with the adversary in-process vs in its own process',
  async run(report) {
    const test = loadMnist('test');
    const x: Batch = gatherRows(test.x, Array.from({ length: 100 }, (_, i) => i));
    const labels = test.labels.slice(0, 100);
    const workers = availableParallelism();
    const ort = await OnnxClassifier.load(ONNX, { workers });
    const registry = builtinRegistry();
    const cases: { name: string; classifier: (g: number) => Classifier }[] = [];
    const defended = (squeeze: Squeezer[]) => (g: number) => defend(ort, { randomize: new UniformNoise(0.5), squeeze, keys: derivedKeys('0f'.repeat(16)).fork(`game=${g}`) });
    cases.push({ name: 'uniform 0.5 + median 2x2, ONNX', classifier: defended([new Median(2)]) });
    cases.push({ name: 'uniform 0.5 + 1-bit, ONNX', classifier: defended([new BitDepth(1)]) });
    cases.push({ name: 'a classifier that costs nothing', classifier: () => freeClassifier(ort) });
    const host = new AdversaryHost();
    try {
      const t0 = performance.now();
      await play(cases[2]!.classifier(-1), x, labels, new IsolatedAdversary(host, SPEC, x, labels));
      const startMs = performance.now() - t0;
      for (const c of cases) {
        // Game by game, one mode after the other: a load that drifts during the run weighs on both alike.
        const inProcess = { ms: 0, outcomes: [] as GameOutcome[] };
        const isolated = { ms: 0, outcomes: [] as GameOutcome[] };
        const modes = [
          [inProcess, () => registry.adversary(SPEC)(x, labels)],
          [isolated, () => new IsolatedAdversary(host, SPEC, x, labels)],
        ] as const;
        for (const [, adversary] of modes) await play(c.classifier(-1), x, labels, adversary());
        for (let g = 0; g < GAMES; g++) {
          for (const [into, adversary] of modes) {
            const t = performance.now();
            into.outcomes.push(await play(c.classifier(g), x, labels, adversary()));
            into.ms += (performance.now() - t) / GAMES;
          }
        }
        if (JSON.stringify(isolated.outcomes) !== JSON.stringify(inProcess.outcomes)) throw new Error(`adversary-process: outcomes differ on ${c.name}`);
        const classifications = inProcess.outcomes[0]!.classifyQueries + inProcess.outcomes[0]!.attackQueries;
        for (const [mode, r] of [['in-process', inProcess], ['own process', isolated]] as const) {
          report({
            bench: 'adversary-process',
            case: `${c.name}, ${mode}`,
            batch: 100,
            workers,
            images_per_s: (classifications * 1000) / r.ms,
            ms_per_game: Math.round(r.ms),
            ...(mode === 'own process' ? { ratio: Number((isolated.ms / inProcess.ms).toFixed(3)), child_start_ms: Math.round(startMs) } : {}),
          });
        }
      }
    } finally {
      await host.close();
      await ort.close();
    }
  },
};

function play(classifier: Classifier, x: Batch, labels: Int32Array, adversary: Adversary): Promise<GameOutcome> {
  return new EvCsaGame({ classifier, truth: poolTruth(x, labels), budget: N, box: 'black', description: 'bench' }).play(adversary);
}
