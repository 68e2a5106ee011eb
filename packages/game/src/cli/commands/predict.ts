import { type Command, Option } from 'commander';
import type { Batch } from '@mixnsqueeze/core';
import { ParameterError } from '@mixnsqueeze/core/errors';
import type { CliContext } from '../context.ts';
import type { ModelOptions } from './defended-model.ts';

interface PredictOptions extends ModelOptions {
  in: string;
  json?: boolean;
}

function predictionLines(labels: Int32Array, names?: readonly string[]): string {
  return Array.from(labels, (l) => (names ? `${l}\t${names[l]}\n` : `${l}\n`)).join('');
}

function predictionJson(model: string, defense: readonly string[], logits: Batch, labels: Int32Array, names?: readonly string[]): Record<string, unknown> {
  const k = logits.shape[1]!;
  return {
    model,
    defense,
    labels: Array.from(labels),
    ...(names ? { classNames: Array.from(labels, (l) => names[l]) } : {}),
    logits: Array.from(labels, (_, i) => Array.from(logits.data.subarray(i * k, (i + 1) * k))),
  };
}

const collect = (value: string, prior: string[]): string[] => [...prior, value];

/**
 * `mixnsqueeze predict --model <id|model.json|.onnx> --in x.npy [--defense spec]... [--json]`:
 * labels (one per line, with the class name when the model has names), or JSON with the logits.
 */
export function registerPredictCommand(program: Command, ctx: CliContext): void {
  program
    .command('predict')
    .description('classify a batch (.npy or .json, N x H x W x C in [0, 1]) with a model, optionally defended')
    .requiredOption('--model <model>', 'zoo id (mnist, fashion-mnist), tfjs model.json or .onnx file')
    .requiredOption('--in <file>', 'input batch (.npy or .json)')
    .option('--defense <spec>', 'transform applied before the model; repeat to chain, in order (e.g. uniform:0.5)', collect, [])
    .option('--seed <hex>', 'derive the defense keys from this master seed (reproducible; never for deployment)')
    .option('--json', 'print JSON with labels and logits')
    .option('--backend <name>', 'tfjs backend: node-gpu | node | wasm | cpu (default: fastest available)')
    .addOption(new Option('--provider <name>', 'ONNX Runtime execution provider for .onnx models').choices(['cpu', 'cuda', 'webgpu']))
    .action(async (opts: PredictOptions) => {
      const [{ argmaxRows, checkBatch, readBatchFile }, { loadDefendedModel, releaseModel }] = await Promise.all([import('@mixnsqueeze/core'), import('./defended-model.ts')]);
      const x = await readBatchFile(opts.in);
      if (x.shape.length < 2 || x.shape[0] === 0) {
        throw new ParameterError(`${opts.in}: expected a batch of shape [N, ...] with N >= 1, got [${x.shape.join(', ')}].`);
      }
      const { model, defended, specs } = await loadDefendedModel(ctx, opts);
      try {
        checkBatch(defended.space, x, opts.in);
        const logits = await defended.predict(x);
        const labels = argmaxRows(logits);
        ctx.stdout(opts.json ? `${JSON.stringify(predictionJson(opts.model, specs, logits, labels, defended.classNames))}\n` : predictionLines(labels, defended.classNames));
      } finally {
        await releaseModel(model);
      }
    });
}
