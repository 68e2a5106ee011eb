// The adversary's process starts here. The parent may run under tsx's CLI, its `register()` API
// (the mixnsqueeze bin) or vitest, none of which a forked child inherits reliably, so the child
// registers tsx's loader itself before it imports TypeScript.
import { register } from 'tsx/esm/api';

register();
await import('./child-main.ts');
