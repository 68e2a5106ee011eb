import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type GameView, ParameterError, Registry, derivedKeys } from '@mixnsqueeze/core';
import { EvCsaGame, gamePlugin, poolTruth } from '@mixnsqueeze/game';
import { main } from '../../../packages/game/src/cli/main.ts';
import { bernoulliClassifier, pool } from '../../../packages/game/test/synthetic.ts';
import { SuccessiveHalvingAdversary, compareAdversaries, successiveHalvingPlugin } from '../src/index.ts';

const SEED = '00112233445566778899aabbccddeeff';

describe('a third-party adversary plugin (successive halving)', () => {
  it('is created by its id from a registry that used the plugin, refused before, parameters validated', () => {
    expect(() => new Registry().use(gamePlugin).adversary('successive-halving')).toThrow(/unknown adversary 'successive-halving'.*adaptive, greedy/);
    const r = new Registry().use(gamePlugin).use(successiveHalvingPlugin);
    expect(typeof r.adversary('successive-halving:m0=4')).toBe('function');
    expect(() => r.adversary('successive-halving:m0=0')).toThrow(ParameterError);
    expect(() => r.adversary('successive-halving:m0=4,x=1')).toThrow(/x/);
    expect(r.list().find((c) => c.id === 'successive-halving')).toMatchObject({ role: 'adversary', plugin: 'example-successive-halving' });
  });

  it('submits the N most error-prone candidates with fewer Classify queries than greedy A*', async () => {
    // Three clear leaders (0.9, 0.8, 0.7) among 16 candidates; the rest at most 0.5.
    const p = [0.1, 0.5, 0.2, 0.9, 0.3, 0.45, 0.05, 0.8, 0.4, 0.35, 0.7, 0.25, 0.15, 0.5, 0.0, 0.3];
    const { x, labels } = pool(p.length);
    const submittedTop = { halving: 0, greedy: 0 };
    const queries = { halving: 0, greedy: 0 };
    const games = 50;
    const registry = new Registry().use(gamePlugin).use(successiveHalvingPlugin);
    for (const [name, spec] of [['halving', 'successive-halving:m0=8'], ['greedy', 'greedy:m=64']] as const) {
      for (let g = 0; g < games; g++) {
        let submitted: number[] = [];
        const adversary = registry.adversary(spec)(x, labels);
        const game = new EvCsaGame({ classifier: bernoulliClassifier(p, derivedKeys(SEED).fork(`${name}|${g}`)), truth: poolTruth(x, labels), budget: 3, box: 'black', description: '' });
        const spy = {
          id: 'spy',
          play: (view: GameView) =>
            adversary.play({
              ...view,
              get remaining() {
                return view.remaining;
              },
              classify: (b) => view.classify(b),
              attack: (b) => {
                submitted = Array.from(b.data, (v) => Math.floor(v * p.length));
                return view.attack(b);
              },
            }),
        };
        queries[name] += (await game.play(spy)).classifyQueries;
        if ([...submitted].sort((a, b) => a - b).join() === '3,7,10') submittedTop[name]++;
      }
    }
    // Rounds: 16 x 8, 8 x 16, 4 x 32 = 384 queries per game, against greedy's 16 x 64 = 1024.
    expect(queries.halving).toBe(384 * games);
    expect(queries.greedy).toBe(1024 * games);
    // Both should find the leaders nearly always; halving must not be worse by more than noise.
    expect(submittedTop.halving / games).toBeGreaterThan(0.85);
    expect(submittedTop.halving).toBeGreaterThanOrEqual(submittedTop.greedy - 5);
  });

  it('refuses a pool whose labels do not match', () => {
    const { x } = pool(4);
    expect(() => new SuccessiveHalvingAdversary(x, new Int32Array(3))).toThrow(ParameterError);
  });

  it('runs in the example and is listed by the CLI with --plugin', async () => {
    const [greedy, halving] = await compareAdversaries(['greedy:m=16', 'successive-halving:m0=2'], 4, 2);
    expect(greedy!.classifyQueries).toBe(32 * 16);
    expect(halving!.classifyQueries).toBeLessThan(greedy!.classifyQueries);
    let out = '';
    const code = await main(['node', 'mixnsqueeze', '--plugin', join(import.meta.dirname, '../src/successive-halving.ts'), 'list', '--json'], {
      stdout: (s) => void (out += s),
      stderr: () => {},
      interactive: false,
    });
    expect(code).toBe(0);
    const ids = (JSON.parse(out) as { id: string; role: string }[]).filter((c) => c.role === 'adversary').map((c) => c.id);
    expect(ids).toEqual(['adaptive', 'greedy', 'successive-halving']);
  });
});
