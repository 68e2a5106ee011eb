import { createHash } from 'node:crypto';
import { canonicalJson } from '@mixnsqueeze/attacks';
import { type ExperimentConfig } from './config.ts';

/** `<name>-<8 hex of the config>`: a changed config is a new run, the same config resumes. */
export function runIdOf(config: ExperimentConfig): string {
  return `${config.name}-${createHash('sha256').update(canonicalJson(config)).digest('hex').slice(0, 8)}`;
}
