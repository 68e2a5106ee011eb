import { describe, expect, it } from 'vitest';
import { type Adversary, type AttackAnswer, type Classifier, ParameterError, derivedKeys } from '@mixnsqueeze/core';
import { EvCsaGame } from '../src/game/ev-csa-game.ts';
import { poolTruth } from '../src/game/truth.ts';
import { GreedyAdversary } from '../src/adversaries/greedy.ts';
import { AdaptiveAdversary } from '../src/adversaries/adaptive.ts';
import { measuredAdvantage, paperAdvantage, rhoEffectiveness } from '../src/estimators/advantage.ts';
import { wilsonInterval } from '../src/estimators/wilson.ts';
import { repeatedClassification } from '../src/estimators/error-probabilities.ts';
import { bernoulliClassifier, pool } from './synthetic.ts';

const SEED = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';

function game(p: number[], budget: number, run: number, tolerance = 0) {
  const { x, labels } = pool(p.length);
  return {
    x,
    labels,
    game: new EvCsaGame({
      classifier: bernoulliClassifier(p, derivedKeys(SEED).fork(`run=${run}`)),
      truth: poolTruth(x, labels, tolerance),
      budget,
      box: 'black',
      description: 'synthetic Bernoulli classifier',
    }),
  };
}

describe('EV-CSA game semantics', () => {
  it('rejects exact repeats without counting, ends after N, counts every query', async () => {
    const { x, game: g } = game([1, 1, 1, 1], 3, 0);
    const answers: AttackAnswer[][] = [];
    const adversary: Adversary = {
      id: 'scripted',
      async play(view) {
        expect(view.budget).toBe(3);
        await view.classify(x);
        answers.push(await view.attack({ data: Float32Array.of(x.data[0]!, x.data[0]!, x.data[1]!), shape: [3, 1] }));
        expect(view.remaining).toBe(1);
        answers.push(await view.attack({ data: Float32Array.of(x.data[1]!, x.data[2]!, x.data[3]!), shape: [3, 1] }));
        expect(view.remaining).toBe(0);
        answers.push(await view.attack({ data: Float32Array.of(x.data[3]!), shape: [1, 1] }));
      },
    };
    const out = await g.play(adversary);
    expect(answers[0]!.map((a) => Object.keys(a)[0])).toEqual(['label', 'rejected', 'label']);
    expect(answers[1]!.map((a) => Object.keys(a)[0])).toEqual(['rejected', 'label', 'over']);
    expect(answers[2]).toEqual([{ over: true }]);
    expect(out).toEqual({ successes: 3, budget: 3, success: 1, classifyQueries: 4, attackQueries: 3, rejected: 2 });
    await expect(g.play(adversary)).rejects.toThrow(/played once/);
  });

  it('refuses samples it cannot judge and bad budgets', async () => {
    const { game: g } = game([0.5, 0.5], 1, 0);
    await expect(g.play({ id: 'x', play: async (v) => void (await v.attack({ data: Float32Array.of(0.9), shape: [1, 1] })) })).rejects.toThrow(/not derived from the game's pool/);
    expect(() => new EvCsaGame({ classifier: bernoulliClassifier([0], derivedKeys(SEED)), truth: () => new Int32Array(0), budget: 0, box: 'black', description: '' })).toThrow(ParameterError);
  });

  it('a deterministic classifier gives advantage exactly 0 or 1', async () => {
    const p = [1, 0, 1, 0, 1, 0];
    for (const [n, expected] of [[3, 1], [4, 0]] as const) {
      const succ: number[] = [];
      for (let r = 0; r < 5; r++) {
        const { x, labels, game: g } = game(p, n, r);
        succ.push((await g.play(new GreedyAdversary(x, labels, { m: 3 }))).success);
      }
      expect(measuredAdvantage(succ, 1).advantage).toBe(expected);
    }
  });

  it('greedy A* on known p_i: measured advantage matches eq. 6 (product of the N largest p_i)', async () => {
    const p = [0.9, 0.2, 0.8, 0.5, 0.1, 0.95];
    const N = 2;
    const R = 800;
    const succ = new Float64Array(R);
    for (let r = 0; r < R; r++) {
      const { x, labels, game: g } = game(p, N, r);
      succ[r] = (await g.play(new GreedyAdversary(x, labels, { m: 40 }))).success;
    }
    const expected = paperAdvantage(Float64Array.from(p), N);
    expect(expected).toBeCloseTo(0.855, 12);
    const m = measuredAdvantage(succ, 1);
    // Standard error sqrt(0.855 * 0.145 / 800) = 0.0125; with m = 40 the greedy choice of the top 2
    // is right in nearly every game. 4 sigma.
    expect(Math.abs(m.advantage - expected)).toBeLessThan(0.05);
    expect(m.ci95.low).toBeLessThan(expected);
    expect(m.ci95.high).toBeGreaterThan(expected * 0.97);
  });

  it('the adaptive adversary with near-copies exploits the best candidate: p_max^N, not the product', async () => {
    const p = [0.1, 0.97, 0.1, 0.1, 0.1, 0.1];
    const N = 4;
    const R = 200;
    let greedy = 0;
    let adaptive = 0;
    for (let r = 0; r < R; r++) {
      const a = game(p, N, r, 0.05);
      greedy += (await a.game.play(new GreedyAdversary(a.x, a.labels, { m: 30 }))).success;
      const b = game(p, N, 10_000 + r, 0.05);
      adaptive += (await b.game.play(new AdaptiveAdversary(b.x, b.labels, { nearRepeats: true, jitter: 0.01 }))).success;
    }
    // Mean success: greedy 0.97/4 + 3 * 0.1/4 = 0.3175; adaptive near 0.97.
    expect(greedy / R).toBeGreaterThan(0.26);
    expect(greedy / R).toBeLessThan(0.38);
    expect(adaptive / R).toBeGreaterThan(0.9);
  });
});

describe('estimators', () => {
  it('repeated classification gives the same results with chunks in flight as one at a time', async () => {
    const p = Array.from({ length: 23 }, (_, i) => (i % 7) / 7);
    const { x, labels } = pool(p.length);
    // Answers come back out of order (a delay per chunk), as from a pool of workers.
    const scrambled = (rep: number): Classifier => {
      const inner = bernoulliClassifier(p, derivedKeys(SEED).fork(`rep=${rep}`));
      return { ...inner, predict: async (b) => {
        const y = inner.predict(b);
        await new Promise((r) => setTimeout(r, Math.floor(b.data[0]! * 97) % 4));
        return y;
      } };
    };
    const run = (inflight: number) => repeatedClassification(scrambled, x, labels, 9, { chunk: 5, inflight });
    const [one, many] = await Promise.all([run(1), run(4)]);
    expect(many.p).toEqual(one.p);
    expect(many.accuracy).toEqual(one.accuracy);
    expect(one.accuracy.some((a, i) => a !== one.accuracy[0] && i > 0)).toBe(true);
  });

  it('repeated classification recovers p_i and the accuracy spread', async () => {
    const p = [0, 0.25, 0.5, 0.75, 1, 0.1];
    const { x, labels } = pool(p.length);
    const r = await repeatedClassification((rep) => bernoulliClassifier(p, derivedKeys(SEED).fork(`rep=${rep}`)), x, labels, 2000);
    // Standard error at most sqrt(0.25 / 2000) = 0.011; 5 sigma.
    p.forEach((pi, i) => expect(Math.abs(r.p[i]! - pi)).toBeLessThan(0.056));
    expect(r.mean).toBeCloseTo(1 - p.reduce((a, b) => a + b) / p.length, 1);
    expect(r.std).toBeGreaterThan(0.1);
    expect(r.accuracy).toHaveLength(2000);
  });

  it('Wilson intervals, eq. 6 and rho on known values', () => {
    const a = wilsonInterval(0, 10);
    expect(a.low).toBe(0);
    expect(a.high).toBeCloseTo(0.2775, 4);
    const b = wilsonInterval(5, 10);
    expect(b.low).toBeCloseTo(0.2366, 4);
    expect(b.high).toBeCloseTo(0.7634, 4);
    expect(paperAdvantage(Float64Array.of(0.5, 1, 0.2), 2)).toBe(0.5);
    expect(paperAdvantage(Float64Array.of(0.5), 2)).toBe(0);
    expect(measuredAdvantage([0.3, 0.2, 1], 0.3).successfulGames).toBe(2);
    expect(rhoEffectiveness([0.2, 0.4], [0.6, 0.6])).toBeCloseTo(0.5, 12);
    expect(rhoEffectiveness([0.2], [0])).toBeUndefined();
    expect(() => paperAdvantage(Float64Array.of(1), 0)).toThrow(ParameterError);
  });
});
