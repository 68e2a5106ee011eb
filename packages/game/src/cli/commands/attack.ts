import { type Command, Option } from 'commander';
import type { CliContext } from '../context.ts';
import type { AttackOptions } from './attack-run.ts';

const collect = (value: string, prior: string[]): string[] => [...prior, value];

/**
 * `mixnsqueeze attack <spec> --model ... --dataset ... --out adv.npy`: runs an attack on the first N
 * correctly classified samples, behind the defenses given, and writes the adversarial examples.
 * Sets are cached on disk (keyed by model and data fingerprints, defenses, attack spec, surface,
 * target and seed), so a repeated command reads them back instead of regenerating them.
 */
export function registerAttackCommand(program: Command, ctx: CliContext): void {
  program
    .command('attack')
    .description('generate adversarial examples for the first N correctly classified samples of a dataset')
    .argument('<attack-spec>', "attack spec, e.g. fgsm:eps=0.3, cw2:mnist, he:squeezers=bit-depth:1+median:2x2 (see 'mixnsqueeze list')")
    .requiredOption('--model <model>', 'zoo id (mnist, fashion-mnist), tfjs model.json or .onnx file')
    .requiredOption('--dataset <dataset>', 'mnist | fashion-mnist (their test splits), a folder, .csv, .npy or IDX file')
    .requiredOption('--out <file>', 'adversarial examples (.npy or .json, by extension)')
    .option('--labels <file>', 'labels for an .npy or IDX images file')
    .option('--data-dir <dir>', 'directory of the Fashion-MNIST IDX files')
    .option('--defense <spec>', 'transform applied before the model; repeat to chain, in order (e.g. uniform:0.5)', collect, [])
    .option('--surface <spec>', 'how the attack sees the model: exact | bpda | eot:K | spsa | nes (default: the attack\'s choice)')
    .addOption(new Option('--target <mode>', 'untargeted, next ((y + 1) mod classes) or ll (least likely)').choices(['untargeted', 'next', 'll']).default('untargeted'))
    .option('--n <count>', 'number of samples: the first N correctly classified', '100')
    .option('--seed <int>', "seed of the attack's own randomness (random starts, gradient estimates)", '0')
    .option('--key-seed <hex>', "replay the defense's keys during the attack: the master seed printed by an earlier run (default: fresh from the OS)")
    .option('--batch-size <count>', 'samples per attack batch', '100')
    .option('--uint8', 'round the examples to the 8-bit grid (k/255) before measuring success and writing them, as the paper\'s evaluation did')
    .option('--no-cache', 'always regenerate (and do not store) the set')
    .option('--cache-dir <dir>', 'cache directory (default $MIXNSQUEEZE_CACHE or .mixnsqueeze-cache)')
    .option('--json', 'print the summary as JSON')
    .option('--backend <name>', 'tfjs backend: node-gpu | node | wasm | cpu (default: fastest available)')
    .option('--provider <name>', 'ONNX Runtime execution provider (cpu, cuda, webgpu)')
    .action(async (spec: string, opts: AttackOptions) => (await import('./attack-run.ts')).runAttackCommand(ctx, spec, opts));
}
