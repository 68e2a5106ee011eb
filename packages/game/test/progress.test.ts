import { describe, expect, it } from 'vitest';
import { builtinRegistry } from '../src/cli/builtin-registry.ts';
import { stageProgress } from '../src/cli/progress.ts';

describe('stage progress without a terminal', () => {
  it('says when a stage starts, at most once a minute how far it is with an ETA, and when it ends', async () => {
    let err = '';
    let clock = 0;
    const ctx = { stdout: () => {}, stderr: (s: string) => void (err += s), interactive: false, registry: async () => builtinRegistry() };
    const p = await stageProgress(ctx, () => clock);
    p.update('classification', 0, 300);
    clock = 30_000;
    p.update('classification', 10, 300); // half a minute: nothing yet
    clock = 60_000;
    p.update('classification', 20, 300);
    clock = 70_000;
    p.update('classification', 25, 300); // 10 s after the last line: nothing
    clock = 600_000;
    p.update('classification', 300, 300);
    p.update('classification', 300, 300); // a second report of the end says nothing
    expect(err.trim().split('\n')).toEqual([
      'classification: 300 step(s)',
      // 20 steps in 60 s, 280 to go at that rate: 840 s.
      'classification: 20/300 (6%), 60 s so far, ETA 14.0 min',
      'classification: done in 10.0 min',
    ]);
  });
});
