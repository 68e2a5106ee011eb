/**
 * Exports tfjs layers models to ONNX.
 *   npx tsx packages/backends/src/onnx/export-cli.ts <model.json> <out.onnx>
 *   npx tsx packages/backends/src/onnx/export-cli.ts --zoo     (every shipped models/<id>/model.json)
 * Bad input prints one line and exits with status 2.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMixnsqueezeError } from '@mixnsqueeze/core';
import { exportModelJsonToOnnx } from './export-tfjs.ts';

const MODELS = fileURLToPath(new URL('../../models/', import.meta.url));

function zooPairs(): [string, string][] {
  return readdirSync(MODELS)
    .map((id) => [join(MODELS, id, 'model.json'), join(MODELS, id, 'model.onnx')] as [string, string])
    .filter(([json]) => existsSync(json));
}

async function main(args: string[]): Promise<void> {
  const pairs = args[0] === '--zoo' ? zooPairs() : args.length === 2 ? [[args[0]!, args[1]!] as [string, string]] : undefined;
  if (!pairs) {
    process.stderr.write('usage: export-cli.ts <model.json> <out.onnx> | --zoo\n');
    process.exitCode = 2;
    return;
  }
  for (const [json, onnx] of pairs) {
    const { bytes } = await exportModelJsonToOnnx(json, onnx);
    process.stdout.write(`${onnx}: ${bytes.toLocaleString('en-US')} bytes (from ${json})\n`);
  }
}

try {
  await main(process.argv.slice(2));
} catch (e) {
  if (!isMixnsqueezeError(e)) throw e;
  process.stderr.write(`error: ${e.message}\n`);
  process.exitCode = 2;
}
