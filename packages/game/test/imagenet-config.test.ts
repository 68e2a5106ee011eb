import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtinRegistry } from '../src/cli/builtin-registry.ts';
import { builtinConfig } from '../src/experiment/builtin-configs.ts';
import { gradientsPerSeed } from '../src/experiment/cost-estimate.ts';
import { IMAGENET_FIDELITY_NOTES, fidelityNotesFor } from '../src/report/fidelity-notes.ts';
import { run } from './cli-io.ts';

describe('ImageNet configurations', () => {
  it('use the reference ImageNet settings: presets, delta 0.1, the MobileNet, the ImageNet squeezers', () => {
    for (const name of ['imagenet-paper', 'imagenet-quick']) {
      const c = builtinConfig(name);
      expect(c.paper).toBe('imagenet');
      expect(c.model).toBe('imagenet-mobilenet-v1-025');
      expect(c.seed).toBeUndefined();
      for (const s of c.squeezers) expect(s.operatingDelta).toBe(s.specs.length ? 0.1 : 0);
      expect(c.attacks.every((a) => /imagenet/.test(a.spec))).toBe(true);
      expect(c.adaptive.map((a) => a.surface)).toEqual([expect.stringMatching(/^eot:\d+$/)]);
      expect(fidelityNotesFor(c).startsWith(IMAGENET_FIDELITY_NOTES)).toBe(true);
    }
    const paper = builtinConfig('imagenet-paper');
    expect([paper.seeds, paper.legitimate, Math.max(...paper.budgets)]).toEqual([100, 200, 50]);
    expect(paper.attacks.map((a) => a.label)).toEqual(['FGSM', 'BIM', 'CW-inf next', 'CW-inf LL', 'DeepFool', 'CW-2 next', 'CW-2 LL', 'CW-0 next', 'CW-0 LL']);
    expect(paper.squeezers.map((s) => s.specs.join('+'))).toEqual(['', 'bit-depth:5', 'bit-depth:4', 'median:2x2', 'median:3x3', 'nlm:11-3-4']);
    expect(builtinConfig('imagenet-quick').seeds).toBe(20);
  });

  it('counts gradients per seed from the attack parameters', () => {
    const registry = builtinRegistry();
    expect(gradientsPerSeed(registry, 'fgsm:imagenet')).toEqual({ gradients: 1, count: 'exact' });
    expect(gradientsPerSeed(registry, 'bim:imagenet')).toEqual({ gradients: 10, count: 'exact' });
    expect(gradientsPerSeed(registry, 'cw2:preset=imagenet,iterations=50,binarySteps=1')).toEqual({ gradients: 50, count: 'exact' });
    expect(gradientsPerSeed(registry, 'cwinf:imagenet').count).toBe('round');
    expect(gradientsPerSeed(registry, 'eot-pgd:steps=10,k=5')).toEqual({ gradients: 50, count: 'exact' });
  });

  it('reproduce imagenet without --data-dir: exit 2, one line, no database', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'mns-imagenet-')), 'r.db');
    const r = await run('reproduce', 'imagenet', '--quick', '--db', db);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--data-dir/);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(existsSync(db)).toBe(false);
  });
});
