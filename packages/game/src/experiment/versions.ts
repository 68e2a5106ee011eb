import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** Versions a run depends on, stored with it. */
export function runtimeVersions(): Record<string, string> {
  const require = createRequire(import.meta.url);
  const v = (name: string) => {
    try {
      return (require(`${name}/package.json`) as { version: string }).version;
    } catch {
      return 'absent';
    }
  };
  return {
    node: process.version,
    mixnsqueeze: (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version,
    '@tensorflow/tfjs': v('@tensorflow/tfjs'),
    'onnxruntime-node': v('onnxruntime-node'),
  };
}
