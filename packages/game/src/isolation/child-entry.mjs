// The adversary's process starts here. It is forked with no flags of the parent's (no loader, no
// --conditions), so it finds out which layout it runs from by itself:
// - the built package (dist/, as installed): the compiled child-main.js lies next to this file and
//   runs as it is, with plain node;
// - the sources (src/: vitest, tsx, `npm start` in the workspace): only child-main.ts is here. The
//   child then registers tsx's loader itself (a forked child inherits none of the parent's loaders
//   reliably) and resolves the workspace's packages to their sources, as the parent did (the
//   `@mixnsqueeze/source` export condition).
import { existsSync } from 'node:fs';
import { register as registerHooks } from 'node:module';

const built = new URL('./child-main.js', import.meta.url);
if (existsSync(built)) {
  await import(built.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  const sourceCondition = `export function resolve(specifier, context, next) {
    return next(specifier, { ...context, conditions: [...context.conditions, '@mixnsqueeze/source'] });
  }`;
  registerHooks(`data:text/javascript,${encodeURIComponent(sourceCondition)}`);
  await import(new URL('./child-main.ts', import.meta.url).href);
}
