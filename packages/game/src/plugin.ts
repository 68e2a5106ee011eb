import { type Plugin, TOKENS } from '@mixnsqueeze/core';
import { adaptiveComponent } from './adversaries/adaptive.ts';
import { greedyComponent } from './adversaries/greedy.ts';

/** The built-in adversaries of the EV-CSA game, for `registry.use(gamePlugin)`. */
export const gamePlugin: Plugin = {
  name: '@mixnsqueeze/game',
  register(container) {
    for (const c of [greedyComponent, adaptiveComponent]) container.bind(TOKENS.adversary).toConstantValue(c);
  },
};
