import { Registry } from '@mixnsqueeze/core';
import { squeezersPlugin } from '@mixnsqueeze/squeezers';
import { attacksPlugin } from '@mixnsqueeze/attacks';
import { gamePlugin } from '../plugin.ts';

/** The built-in plugins every registry starts with. */
export function builtinRegistry(): Registry {
  return new Registry().use(squeezersPlugin).use(attacksPlugin).use(gamePlugin);
}
