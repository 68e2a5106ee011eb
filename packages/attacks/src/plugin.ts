import { type Component, type Plugin, TOKENS } from '@mixnsqueeze/core';
import { fgsmComponent } from './attacks/fgsm.ts';

/** Every built-in attack component. Attack authors: add yours to your own plugin, not here. */
export const ATTACK_COMPONENTS: readonly Component<unknown, never>[] = [fgsmComponent] as unknown as Component<unknown, never>[];

/** The built-in attacks, for `registry.use(attacksPlugin)`. */
export const attacksPlugin: Plugin = {
  name: '@mixnsqueeze/attacks',
  register(container) {
    for (const c of ATTACK_COMPONENTS) container.bind(TOKENS.attack).toConstantValue(c);
  },
};
