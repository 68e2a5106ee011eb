/**
 * npx tsx examples/onnx-model/src/main.ts [model.onnx] [--dataset mnist|fashion-mnist] [--samples N]
 * Defends an ONNX classifier with uniform 0.5 + median 2x2 and prints clean accuracy with and
 * without the defense. Default model: the shipped MNIST CNN. Bad input: one line, exit status 2.
 */
import { parseArgs } from 'node:util';
import { ParameterError, isMixnsqueezeError } from '@mixnsqueeze/core';
import { isDatasetId } from '@mixnsqueeze/backends';
import { evaluateOnnx } from './index.ts';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { dataset: { type: 'string', default: 'mnist' }, samples: { type: 'string', default: '1000' } },
  });
  if (!isDatasetId(values.dataset)) throw new ParameterError(`--dataset: expected mnist or fashion-mnist, got '${values.dataset}'.`);
  const r = await evaluateOnnx(positionals[0], { dataset: values.dataset, samples: Number(values.samples) });
  const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
  process.stdout.write(`${r.model} (${r.layout}), ${r.samples} ${values.dataset} test samples\n`);
  process.stdout.write(`  accuracy without defense:             ${pct(r.accuracy.plain)}\n`);
  process.stdout.write(`  accuracy with uniform:0.5 median:2x2: ${pct(r.accuracy.defended)}\n`);
}

try {
  await main();
} catch (e) {
  const parse = (e as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS');
  if (!isMixnsqueezeError(e) && !parse) throw e;
  process.stderr.write(`error: ${(e as Error).message}\n`);
  process.exitCode = 2;
}
