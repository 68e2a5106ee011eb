/**
 * Test adversaries for the adversary process (adversary-process*.test.ts), loaded by path in the
 * child: a spy that reports what it can see, and adversaries that crash, throw, hang or break the
 * protocol. The spy writes its findings to the file its game's description names: the only
 * channels out of the child are the oracles and what the test set up.
 */
import { writeFileSync } from 'node:fs';
import { type Adversary, type AdversaryFactory, type Batch, type GameView, type Plugin, TOKENS, defineComponent, gatherRows } from '@mixnsqueeze/core';
import { z } from 'zod';

/** Every IPC message this process received, summarized (type and field names), from module load on. */
const seen: { type: string; keys: string[] }[] = [];
process.on('message', (m: Record<string, unknown>) => seen.push({ type: String(m.type), keys: Object.keys(m).sort() }));

class Spy implements Adversary {
  readonly id = 'spy';
  constructor(readonly candidates: Batch, readonly labels: Int32Array) {}
  async play(view: GameView): Promise<void> {
    const labels = await view.classify(this.candidates);
    const answers = await view.attack(gatherRows(this.candidates, [0, 1]));
    const g = globalThis as Record<string, unknown>;
    const model = view.model;
    writeFileSync(
      view.description,
      JSON.stringify({
        pid: process.pid,
        ppid: process.ppid,
        viewKeys: Object.keys(view).sort(),
        box: view.box,
        budget: view.budget,
        remaining: view.remaining,
        model: model ? { classes: model.classes, stochastic: model.stochastic, shape: model.space.shape, bounds: model.space.bounds } : null,
        secretGlobal: '__mnsSecretClassifier' in g,
        globalNames: Object.getOwnPropertyNames(globalThis).filter((k) => /mns|classif|key/i.test(k)),
        env: Object.keys(process.env).sort(),
        execArgv: process.execArgv,
        argv: process.argv.slice(2),
        labels: Array.from(labels),
        answers,
        seen,
      }),
    );
  }
}

const behaviours: Record<string, (view: GameView, x: Batch) => Promise<void>> = {
  crasher: async (view, x) => {
    await view.classify(x);
    process.exit(3);
  },
  thrower: async () => {
    throw new Error('boom\nsecond line of the stack');
  },
  sleeper: () => new Promise(() => undefined),
  rogue: async () => {
    process.send!({ type: 'classify', game: 999_999, id: 0, x: { data: new Float32Array(1), shape: [1, 1] } });
    await new Promise(() => undefined);
  },
  // Submits a sample the game's truth cannot judge: the parent's oracle refuses it.
  outsider: async (view) => void (await view.attack({ data: Float32Array.of(0.987654), shape: [1, 1] })),
};

const component = (id: string, make: (x: Batch, y: Int32Array) => Adversary) =>
  defineComponent<AdversaryFactory, Record<string, never>>({
    id,
    role: 'adversary',
    summary: `test adversary ${id}`,
    params: z.strictObject({}),
    examples: [id],
    create: () => make,
  });

/** The test adversaries as one plugin. */
export const processTestPlugin: Plugin = {
  name: 'adversary-process-test',
  register(container) {
    container.bind(TOKENS.adversary).toConstantValue(component('spy', (x, y) => new Spy(x, y)));
    for (const [id, play] of Object.entries(behaviours)) {
      container.bind(TOKENS.adversary).toConstantValue(component(id, (x) => ({ id, play: (view) => play(view, x) })));
    }
  },
};
