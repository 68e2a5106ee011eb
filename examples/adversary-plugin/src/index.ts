/**
 * Example: a third-party EV-CSA adversary. Run: npx tsx examples/adversary-plugin/src/index.ts
 * (plays the game against a randomized linear classifier with the paper's greedy A* and with the
 * plugin's successive halving, both created by spec through the registry, and compares them).
 */
import { LinearClassifier, Registry, argmaxRows, derivedKeys, featureSpace } from '@mixnsqueeze/core';
import { EvCsaGame, gamePlugin, measuredAdvantage, poolTruth } from '@mixnsqueeze/game';
import { defend, squeezersPlugin } from '@mixnsqueeze/squeezers';
import { successiveHalvingPlugin } from './successive-halving.ts';

export {
  SuccessiveHalvingAdversary,
  successiveHalvingComponent,
  successiveHalvingParams,
  successiveHalvingPlugin,
  type SuccessiveHalvingParams,
} from './successive-halving.ts';

export interface AdversaryScore {
  readonly spec: string;
  /** Fraction of games with succ = 1 (tau = 1). */
  readonly advantage: number;
  /** Mean Classify queries per game. */
  readonly classifyQueries: number;
}

const SEED = '5eed0000000000000000000000000001';

/**
 * Plays `games` games of budget N against a 2-class linear model behind uniform noise (delta 0.3),
 * whose candidates sit at graded distances from the decision boundary, so that their error
 * probabilities range from 0 to about 0.5.
 */
export async function compareAdversaries(specs = ['greedy:m=64', 'successive-halving:m0=8'], games = 40, N = 3): Promise<AdversaryScore[]> {
  const registry = new Registry().use(squeezersPlugin).use(gamePlugin).use(successiveHalvingPlugin);
  const space = featureSpace([4]);
  const model = new LinearClassifier(space, Float64Array.of(4, 4, 4, 4, -4, -4, -4, -4), Float64Array.of(0, 16));
  const n = 32;
  // Candidate i has every feature at 0.5 + s_i: class 0 for s_i > 0, ever closer to the boundary.
  const x = { data: new Float32Array(n * 4), shape: [n, 4] };
  for (let i = 0; i < n; i++) x.data.fill(0.5 + 0.02 + (0.1 * i) / n, i * 4, i * 4 + 4);
  const labels = argmaxRows(await model.predict(x));
  const randomize = registry.randomizer('uniform:0.3');
  const scores: AdversaryScore[] = [];
  for (const spec of specs) {
    const adversary = registry.adversary(spec);
    const succ: number[] = [];
    let queries = 0;
    for (let g = 0; g < games; g++) {
      const game = new EvCsaGame({
        classifier: defend(model, { randomize, keys: derivedKeys(SEED).fork(`${spec}|game=${g}`) }),
        truth: poolTruth(x, labels),
        budget: N,
        box: 'black',
        description: 'linear model, uniform noise delta 0.3',
      });
      const out = await game.play(adversary(x, labels));
      succ.push(out.success);
      queries += out.classifyQueries;
    }
    scores.push({ spec, advantage: measuredAdvantage(succ, 1).advantage, classifyQueries: queries / games });
  }
  return scores;
}

if (import.meta.url === `file://${process.argv[1]}`) console.table(await compareAdversaries());
