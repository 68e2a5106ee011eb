import { type Component, type Plugin, type Registry, TOKENS } from '@mixnsqueeze/core';
import { fgsmComponent } from './attacks/fgsm.ts';
import { cw0Component } from './attacks/cw0.ts';
import { cw2Component } from './attacks/cw2.ts';
import { cwInfComponent } from './attacks/cwinf.ts';
import { heComponent } from './attacks/he-adaptive.ts';
import { heEotComponent } from './attacks/he-eot.ts';
import { bimComponent } from './attacks/bim.ts';
import { deepFoolComponent } from './attacks/deepfool.ts';
import { eotPgdComponent } from './attacks/eot-pgd.ts';
import { jsmaComponent } from './attacks/jsma.ts';
import { pgdComponent } from './attacks/pgd.ts';
import { spsaPgdComponent } from './attacks/spsa-pgd.ts';

/** Every built-in attack component. Attack authors: add yours to your own plugin, not here. */
export const ATTACK_COMPONENTS: readonly Component<unknown, never>[] = [fgsmComponent, bimComponent, pgdComponent, eotPgdComponent, deepFoolComponent, jsmaComponent, spsaPgdComponent, cw2Component, cwInfComponent, cw0Component, heEotComponent] as unknown as Component<unknown, never>[];

/** The built-in attacks, for `registry.use(attacksPlugin)`. */
export const attacksPlugin: Plugin = {
  name: '@mixnsqueeze/attacks',
  register(container) {
    for (const c of ATTACK_COMPONENTS) container.bind(TOKENS.attack).toConstantValue(c);
    // He et al.'s attack builds its squeezers from specs, with the registry it is used on.
    container.bind(TOKENS.attack).toDynamicValue((ctx) => heComponent(ctx.get<Registry>(TOKENS.registry)));
  },
};
