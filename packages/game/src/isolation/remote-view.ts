import { type AttackAnswer, type Batch, type Classifier, type GameView } from '@mixnsqueeze/core';
import { type GameDescription, type ToChild, type ToParent, sameBatch, toWire } from './wire.ts';

type Answer = Extract<ToChild, { type: 'answer' }>;

/** An oracle's refusal, as the parent's oracle raised it; the parent rethrows its original when the adversary lets it through. */
export class OracleError extends Error {
  constructor(
    /** The query it answers. */
    readonly query: number,
    message: string,
  ) {
    super(message);
    this.name = 'OracleError';
  }
}

/**
 * The child's GameView of one game: the description it was told, and oracles that are messages to
 * the parent, answered there by the real game. `settle` delivers the parent's answers.
 */
export function remoteView(
  game: number,
  told: GameDescription,
  pool: Batch,
  send: (m: ToParent) => void,
  model: Classifier | undefined,
): { view: GameView; settle(m: Answer): void } {
  let remaining = told.remaining;
  let next = 0;
  const waiting = new Map<number, { resolve: (m: Answer) => void; reject: (e: unknown) => void }>();
  const ask = (type: 'classify' | 'attack', x: Batch) =>
    new Promise<Answer>((resolve, reject) => {
      const id = next++;
      waiting.set(id, { resolve, reject });
      send({ type, game, id, ...(sameBatch(x, pool) ? { pool: true } : { x: toWire(x) }) });
    });
  const view: GameView = {
    box: told.box,
    ...(model ? { model } : {}),
    description: told.description,
    budget: told.budget,
    get remaining() {
      return remaining;
    },
    classify: async (x: Batch) => (await ask('classify', x)).labels!,
    attack: async (x: Batch): Promise<AttackAnswer[]> => (await ask('attack', x)).answers!,
  };
  return {
    view,
    settle(m) {
      const w = waiting.get(m.id);
      if (!w) return;
      waiting.delete(m.id);
      remaining = m.remaining;
      if (m.error !== undefined) w.reject(new OracleError(m.id, m.error));
      else w.resolve(m);
    },
  };
}
