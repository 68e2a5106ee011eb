import { ParameterError } from '@mixnsqueeze/core';
import { type ExperimentConfig, type ExperimentInput, parseConfig } from './config.ts';

const MASTER_SEED = '6d69786e73717565657a652d6d6e697374';
const FIGURE_DELTAS = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8];

/** The ten attack columns of tables 1 and 2 with the reference evaluation's MNIST settings. */
const PAPER_ATTACKS: ExperimentInput['attacks'] = [
  { label: 'FGSM', spec: 'fgsm:mnist' },
  { label: 'BIM', spec: 'bim:mnist' },
  { label: 'CW-inf next', spec: 'cwinf:mnist', target: 'next' },
  { label: 'CW-inf LL', spec: 'cwinf:mnist', target: 'll' },
  { label: 'CW-2 next', spec: 'cw2:mnist', target: 'next' },
  { label: 'CW-2 LL', spec: 'cw2:mnist', target: 'll' },
  { label: 'CW-0 next', spec: 'cw0:mnist', target: 'next' },
  { label: 'CW-0 LL', spec: 'cw0:mnist', target: 'll' },
  { label: 'JSMA next', spec: 'jsma:mnist', target: 'next' },
  { label: 'JSMA LL', spec: 'jsma:mnist', target: 'll' },
];

const PAPER_SQUEEZERS: ExperimentInput['squeezers'] = [
  { label: 'none', specs: [], deltas: [0], operatingDelta: 0 },
  { label: '1-bit', specs: ['bit-depth:1'], deltas: FIGURE_DELTAS, operatingDelta: 0.2 },
  { label: 'median 2x2', specs: ['median:2x2'], deltas: FIGURE_DELTAS, operatingDelta: 0.5 },
  { label: 'median 3x3', specs: ['median:3x3'], deltas: FIGURE_DELTAS, operatingDelta: 0.5 },
];

/** He et al. against the joint detector of the reference (binary 0.5 + median 2x2, T = 0.002915), evaluated per row. */
const HE = 'he:squeezers=binary:0.5+median:2x2';

const mnistPaper: ExperimentInput = {
  name: 'mnist-paper',
  description: "Mix'n'Squeeze tables 1-3 and figures 5-7 on MNIST: 100 seeds, R = 200, deltas 0-0.8, N up to 25",
  dataset: 'mnist',
  model: 'mnist',
  seed: MASTER_SEED,
  seeds: 100,
  legitimate: 1000,
  repetitions: 200,
  budgets: [1, 5, 10, 15, 20, 25],
  m: 200,
  // Each measured game is m x 100 = 20,000 Classify queries: 40 games at the four operating
  // points (32 million classifications) check eq. 6; every delta gets eq. 6 itself.
  games: 40,
  gamesAt: 'operating',
  attacks: PAPER_ATTACKS,
  squeezers: PAPER_SQUEEZERS,
  adaptive: [
    ...['1-bit', 'median 2x2', 'median 3x3'].map((squeezer) => ({ label: `He et al. (${squeezer})`, spec: HE, squeezer, runs: 20, fitThreshold: true })),
    { label: 'He-EOT (median 2x2)', spec: 'he-eot:draws=30,restarts=3', squeezer: 'median 2x2', surface: 'eot:30', runs: 20 },
    { label: 'EOT-PGD (median 2x2)', spec: 'eot-pgd:k=30', squeezer: 'median 2x2', surface: 'eot:30', runs: 20 },
  ],
};

/** A reduced grid that finishes in minutes on two cores: the quick start's main job. */
const mnistQuick: ExperimentInput = {
  name: 'mnist-quick',
  description:
    'reduced grid for the quick start: 20 seeds, R = 20, three attacks, deltas 0/0.2/0.5; CW-2 with 300 iterations x 2 binary steps from c = 10 at lr 0.05 and He et al. with 300 x 3 instead of 1000 x 9 and 5000 x 9; EOT-PGD with k = 10 instead of 30',
  dataset: 'mnist',
  model: 'mnist',
  seed: MASTER_SEED,
  seeds: 20,
  legitimate: 300,
  repetitions: 20,
  budgets: [1, 5, 10],
  m: 20,
  games: 20,
  attacks: [
    { label: 'FGSM', spec: 'fgsm:mnist' },
    { label: 'BIM', spec: 'bim:mnist' },
    { label: 'CW-2 next', spec: 'cw2:preset=mnist,iterations=300,binarySteps=2,initialConst=10,lr=0.05', target: 'next' },
  ],
  squeezers: [
    { label: 'none', specs: [], deltas: [0], operatingDelta: 0 },
    { label: '1-bit', specs: ['bit-depth:1'], deltas: [0, 0.2, 0.5], operatingDelta: 0.2 },
    { label: 'median 2x2', specs: ['median:2x2'], deltas: [0, 0.2, 0.5], operatingDelta: 0.5 },
  ],
  adaptive: [
    { label: 'He et al. (median 2x2)', spec: 'he:squeezers=binary:0.5+median:2x2,iterations=300,binarySteps=3', squeezer: 'median 2x2', runs: 10, fitThreshold: true },
    { label: 'EOT-PGD (median 2x2)', spec: 'eot-pgd:k=10', squeezer: 'median 2x2', surface: 'eot:10', runs: 10 },
  ],
};

const fashionMnist: ExperimentInput = {
  ...mnistPaper,
  name: 'fashion-mnist',
  description: 'the MNIST protocol on Fashion-MNIST (not in the paper): same attacks (MNIST presets), squeezers and deltas',
  dataset: 'fashion-mnist',
  model: 'fashion-mnist',
};

export const BUILTIN_CONFIGS: Readonly<Record<string, ExperimentInput>> = {
  'mnist-paper': mnistPaper,
  'mnist-quick': mnistQuick,
  'fashion-mnist': fashionMnist,
  'fashion-mnist-quick': { ...mnistQuick, name: 'fashion-mnist-quick', dataset: 'fashion-mnist', model: 'fashion-mnist', description: 'reduced Fashion-MNIST grid' },
};

export function builtinConfig(name: string): ExperimentConfig {
  const c = BUILTIN_CONFIGS[name];
  if (!c) throw new ParameterError(`unknown config '${name}'; built-in: ${Object.keys(BUILTIN_CONFIGS).join(', ')}; or pass --config file.yaml.`);
  return parseConfig(c, name);
}
