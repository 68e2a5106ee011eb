import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Adversary, type GameOutcome, ParameterError, derivedKeys } from '@mixnsqueeze/core';
import { EvCsaGame } from '../src/game/ev-csa-game.ts';
import { poolTruth } from '../src/game/truth.ts';
import { builtinRegistry } from '../src/cli/builtin-registry.ts';
import { AdversaryHost } from '../src/isolation/adversary-host.ts';
import { AdversaryProcessError } from '../src/isolation/adversary-process-error.ts';
import { IsolatedAdversary } from '../src/isolation/isolated-adversary.ts';
import { bernoulliClassifier, pool } from './synthetic.ts';

const SEED = '7a6b5c4d3e2f10019283746556473829';
const PLUGIN = join(import.meta.dirname, 'adversary-process-plugin.ts');
const HALVING = join(import.meta.dirname, '../../../examples/adversary-plugin/src/successive-halving.ts');
const P = [0.1, 0.97, 0.4, 0.1, 0.6, 0.3, 0.85, 0.05];

const hosts: AdversaryHost[] = [];
const host = (options: ConstructorParameters<typeof AdversaryHost>[0] = {}) => {
  const h = new AdversaryHost({ plugins: [PLUGIN, HALVING], log: () => undefined, ...options });
  hosts.push(h);
  return h;
};
afterAll(async () => {
  const pids = hosts.map((h) => h.pid).filter((p) => p !== undefined);
  await Promise.all(hosts.map((h) => h.close()));
  // No child outlives the tests: each one was killed and reaped.
  for (const pid of pids) expect(() => process.kill(pid!, 0)).toThrow();
});

/** Game g of a series: the same keys, pool and budget whoever plays it. */
function game(g: number, options: { budget?: number; tolerance?: number; box?: 'black' | 'white'; description?: string } = {}) {
  const { x, labels } = pool(P.length);
  const classifier = bernoulliClassifier(P, derivedKeys(SEED).fork(`game=${g}`));
  const play = (adversary: Adversary): Promise<GameOutcome> =>
    new EvCsaGame({
      classifier,
      truth: poolTruth(x, labels, options.tolerance ?? 0),
      budget: options.budget ?? 3,
      box: options.box ?? 'black',
      description: options.description ?? 'synthetic Bernoulli classifier',
    }).play(adversary);
  return { x, labels, classifier, play };
}

describe('adversaries in their own process', () => {
  const registry = builtinRegistry();
  const shared = host();

  it('give the same GameOutcome bit for bit as in-process, over many games in one child', async () => {
    const specs = ['greedy:m=7', 'adaptive:initial=3,refine=2,contenders=3', 'adaptive:initial=2,refine=1,nearRepeats=true,jitter=0.01'];
    for (const spec of specs) {
      for (let g = 0; g < 4; g++) {
        const tolerance = spec.includes('nearRepeats') ? 0.05 : 0;
        const a = game(g, { tolerance, budget: 4 });
        const inProcess = await a.play(registry.adversary(spec)(a.x, a.labels));
        const b = game(g, { tolerance, budget: 4 });
        const isolated = await b.play(new IsolatedAdversary(shared, spec, b.x, b.labels));
        expect(isolated, `${spec}, game ${g}`).toEqual(inProcess);
      }
    }
    expect(shared.pid).toBeDefined();
  });

  it('load a plugin adversary in the child by its module path (the example successive halving), with the same outcomes', async () => {
    const { successiveHalvingPlugin } = await import(HALVING);
    const withPlugin = builtinRegistry().use(successiveHalvingPlugin);
    for (let g = 0; g < 3; g++) {
      const a = game(g);
      const inProcess = await a.play(withPlugin.adversary('successive-halving:m0=2')(a.x, a.labels));
      const b = game(g);
      expect(await b.play(new IsolatedAdversary(shared, 'successive-halving:m0=2', b.x, b.labels))).toEqual(inProcess);
    }
  });

  it("see the game's description and the two oracles only: no classifier, no key, no parent global or environment", async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'mns-spy-')), 'spy.json');
    const secret = game(0, { description: out });
    (globalThis as Record<string, unknown>).__mnsSecretClassifier = secret.classifier;
    process.env.MNS_ADVERSARY_SECRET = SEED;
    try {
      const h = host();
      const outcome = await secret.play(new IsolatedAdversary(h, 'spy', secret.x, secret.labels));
      const spy = JSON.parse(readFileSync(out, 'utf8'));
      expect(spy.pid).not.toBe(process.pid);
      expect(spy.ppid).toBe(process.pid);
      expect(spy.viewKeys).toEqual(['attack', 'box', 'budget', 'classify', 'description', 'remaining']);
      expect(spy.model).toBeNull();
      expect(spy.secretGlobal).toBe(false);
      expect(spy.globalNames.filter((k: string) => /mns|secret/i.test(k))).toEqual([]);
      expect(spy.env).not.toContain('MNS_ADVERSARY_SECRET');
      expect(spy.env.every((k: string) => ['PATH', 'HOME', 'TMPDIR', 'TMP', 'TEMP', 'SystemRoot', 'LANG'].includes(k))).toBe(true);
      expect(spy.execArgv).toEqual([]);
      expect(spy.argv).toEqual([]);
      expect(JSON.stringify(spy)).not.toContain(SEED);
      // Every message it received: init, play (description, candidates, labels) and oracle answers.
      const allowed: Record<string, string[]> = {
        play: ['candidates', 'game', 'labels', 'spec', 'type', 'view'],
        answer: ['answers', 'error', 'game', 'id', 'labels', 'remaining', 'type'],
      };
      expect(spy.seen.map((m: { type: string }) => m.type)).toEqual(['play', 'answer', 'answer']);
      expect(spy.seen[0].keys).toEqual(allowed.play);
      for (const m of spy.seen as { type: string; keys: string[] }[]) expect(m.keys.every((k) => allowed[m.type]!.includes(k)), m.keys.join()).toBe(true);
      expect(spy.remaining).toBe(1);
      expect(outcome.attackQueries).toBe(2);
      expect(outcome.classifyQueries).toBe(P.length);
    } finally {
      delete (globalThis as Record<string, unknown>).__mnsSecretClassifier;
      delete process.env.MNS_ADVERSARY_SECRET;
    }
  });

  it('refuses a white-box game without the public recipe: the classifier object cannot cross', async () => {
    const g = game(0, { box: 'white' });
    await expect(g.play(new IsolatedAdversary(shared, 'greedy:m=2', g.x, g.labels))).rejects.toThrow(ParameterError);
    const h = game(1, { box: 'white' });
    await expect(h.play(new IsolatedAdversary(shared, 'greedy:m=2', h.x, h.labels))).rejects.toThrow(/public recipe/);
  });

  it("builds a white-box copy from the public recipe in the child, with the child's own keys", async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'mns-spy-')), 'spy.json');
    const g = game(0, { box: 'white', description: out });
    await g.play(new IsolatedAdversary(shared, 'spy', g.x, g.labels, { model: { source: 'penguins', randomize: 'uniform:0.1' } }));
    const spy = JSON.parse(readFileSync(out, 'utf8'));
    expect(spy.viewKeys).toContain('model');
    expect(spy.model).toMatchObject({ classes: 3, stochastic: true });
  });
});

describe('adversary process failures are typed, one line, and never hang the parent', () => {
  const expectFailure = async (promise: Promise<unknown>, failure: string, message: RegExp) => {
    const e = await promise.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(AdversaryProcessError);
    expect((e as AdversaryProcessError).failure).toBe(failure);
    expect((e as Error).message).toMatch(message);
    expect((e as Error).message).not.toContain('\n');
  };
  const h = host({ timeoutMs: 1500 });
  const play = (spec: string, g = 0) => {
    const a = game(g);
    return a.play(new IsolatedAdversary(h, spec, a.x, a.labels));
  };

  it('a child that exits during a game', async () => {
    await expectFailure(play('crasher'), 'crash', /^adversary 'crasher': its process exited \(code 3\) during game \d+\.$/);
    expect(h.pid).toBeUndefined();
    expect((await play('greedy:m=2')).budget).toBe(3);
  });

  it('an adversary that throws (the child lives on)', async () => {
    await expectFailure(play('thrower'), 'throw', /^adversary 'thrower' threw in game \d+: boom$/);
    const pid = h.pid;
    expect((await play('greedy:m=2')).budget).toBe(3);
    expect(h.pid).toBe(pid);
  });

  it('an adversary that never answers: killed after the stated time', async () => {
    const pid = h.pid;
    await expectFailure(play('sleeper'), 'timeout', /^adversary 'sleeper': no query or result within 1500 ms in game \d+; its process was killed/);
    expect(h.pid).toBeUndefined();
    await new Promise((r) => setTimeout(r, 200));
    expect(() => process.kill(pid!, 0)).toThrow();
    expect((await play('greedy:m=2')).budget).toBe(3);
  });

  it('a child that breaks the protocol is killed', async () => {
    await expectFailure(play('rogue'), 'protocol', /^adversary 'rogue' sent a message outside its game/);
  });

  it("the parent oracle's own refusal reaches the caller as it would in-process", async () => {
    const e = await play('outsider').catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ParameterError);
    expect((e as Error).message).toMatch(/not derived from the game's pool/);
  });

  it('an adversary the child does not know, and a plugin that cannot load', async () => {
    const bare = host({ plugins: [] });
    await expectFailure(play.call(null, 'greedy:m=1').then(() => game(0).play(new IsolatedAdversary(bare, 'spy', game(0).x, game(0).labels))), 'throw', /unknown adversary 'spy'.*pass the module that registers it/);
    const broken = host({ plugins: [join(import.meta.dirname, 'adversary-process-broken-plugin.ts')] });
    await expectFailure(game(0).play(new IsolatedAdversary(broken, 'greedy', game(0).x, game(0).labels)), 'start', /^adversary 'greedy': its process did not start: plugin .* cannot be loaded: this plugin cannot be loaded/);
  });

  it('an idle child is killed after idleMs, and the next game starts another', async () => {
    const idle = host({ idleMs: 300 });
    const a = game(0);
    const first = await a.play(new IsolatedAdversary(idle, 'greedy:m=2', a.x, a.labels));
    const pid = idle.pid!;
    await new Promise((r) => setTimeout(r, 1500));
    expect(idle.pid).toBeUndefined();
    expect(() => process.kill(pid, 0)).toThrow();
    const b = game(0);
    expect(await b.play(new IsolatedAdversary(idle, 'greedy:m=2', b.x, b.labels))).toEqual(first);
  });

  it('a host closed during a game fails the game and kills the child', async () => {
    const c = host();
    const a = game(0);
    const running = a.play(new IsolatedAdversary(c, 'sleeper', a.x, a.labels));
    while (c.pid === undefined) await new Promise((r) => setTimeout(r, 20));
    const pid = c.pid;
    await new Promise((r) => setTimeout(r, 300));
    await c.close();
    await expectFailure(running, 'closed', /closed/);
    expect(() => process.kill(pid, 0)).toThrow();
  });
});
