import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ParameterError } from '@mixnsqueeze/core';
import { registerAvgPoolGradient } from './avg-pool-gradient.ts';
import { registerWasmConvGradients } from './conv-gradient.ts';

/** The tfjs backends this package can run on, fastest first. */
export type TfjsBackendName = 'node-gpu' | 'node' | 'wasm' | 'cpu';
/** Every tfjs backend name, fastest first (the order auto-selection tries). */
export const TFJS_BACKENDS: readonly TfjsBackendName[] = ['node-gpu', 'node', 'wasm', 'cpu'];

const NODE_PACKAGES: Record<'node-gpu' | 'node', string> = {
  'node-gpu': '@tensorflow/tfjs-node-gpu',
  node: '@tensorflow/tfjs-node',
};

const require = createRequire(import.meta.url);

function resolvable(pkg: string): string | undefined {
  try {
    return require.resolve(pkg);
  } catch {
    return undefined;
  }
}

async function tryNode(kind: 'node-gpu' | 'node'): Promise<boolean> {
  const entry = resolvable(NODE_PACKAGES[kind]);
  if (entry === undefined) return false;
  // Importing the binding registers its 'tensorflow' backend with the shared tfjs-core.
  await import(pathToFileURL(entry).href);
  return tf.setBackend('tensorflow');
}

/** Listeners of the events Emscripten's Node glue hooks, to tell its own from everyone else's. */
function processListeners(): Set<unknown> {
  return new Set([...process.listeners('uncaughtException'), ...process.listeners('unhandledRejection')]);
}

async function tryWasm(): Promise<boolean> {
  // In Node the wasm binaries are read from disk: the prefix must be a file path, ending in '/'.
  setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`);
  registerWasmConvGradients();
  registerAvgPoolGradient('wasm');
  // Emscripten's glue adds process handlers that rethrow from inside its minified one-line file, so
  // any later unhandled error would print that whole line instead of its own message: remove them.
  const before = processListeners();
  const ok = await tf.setBackend('wasm');
  for (const l of process.listeners('uncaughtException')) if (!before.has(l)) process.removeListener('uncaughtException', l);
  for (const l of process.listeners('unhandledRejection')) if (!before.has(l)) process.removeListener('unhandledRejection', l);
  return ok;
}

async function tryBackend(kind: TfjsBackendName): Promise<boolean> {
  try {
    if (kind === 'node-gpu' || kind === 'node') return await tryNode(kind);
    if (kind === 'wasm') return await tryWasm();
    if (!(await tf.setBackend('cpu'))) return false;
    registerAvgPoolGradient('cpu');
    // Its first tensor would print a multi-line banner advertising tfjs-node; we log our own line.
    (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
    return true;
  } catch {
    return false;
  }
}

function describe(kind: TfjsBackendName): string {
  if (kind === 'wasm') return `wasm (SIMD ${tf.env().getBool('WASM_HAS_SIMD_SUPPORT') ? 'on' : 'off'})`;
  if (kind === 'cpu') return 'cpu (pure JS, slow)';
  return `${kind} (${NODE_PACKAGES[kind]})`;
}

let active: Promise<TfjsBackendName> | undefined;
let activeKind: TfjsBackendName | undefined;

/**
 * Selects the tfjs backend once per process and logs the choice once (one line on stderr):
 * the forced one, or the first that works of node-gpu, node (optional peers, used when installed),
 * wasm with SIMD, cpu. A later call asking for another backend switches to it (tests compare
 * wasm against cpu) and logs nothing.
 */
export async function useTfjsBackend(
  force?: TfjsBackendName,
  log: (line: string) => void = (s) => void process.stderr.write(s),
): Promise<TfjsBackendName> {
  if (force !== undefined && !TFJS_BACKENDS.includes(force)) {
    throw new ParameterError(`backend: expected one of ${TFJS_BACKENDS.join(', ')}, got '${String(force)}'.`);
  }
  if (active === undefined) {
    active = (async () => {
      for (const kind of force ? [force] : TFJS_BACKENDS) {
        if (await tryBackend(kind)) {
          activeKind = kind;
          log(`mixnsqueeze: tfjs backend ${describe(kind)}\n`);
          return kind;
        }
      }
      throw new ParameterError(
        force
          ? `tfjs backend '${force}' is not available here${force.startsWith('node') ? `: install ${NODE_PACKAGES[force as 'node']}` : ''}; use --backend wasm or cpu.`
          : 'no tfjs backend could be initialised (not even cpu).',
      );
    })();
    try {
      return await active;
    } catch (e) {
      active = undefined;
      throw e;
    }
  }
  await active;
  if (force === undefined || force === activeKind) return activeKind!;
  if (!(await tryBackend(force))) {
    throw new ParameterError(`tfjs backend '${force}' is not available here; use --backend wasm or cpu.`);
  }
  activeKind = force;
  return force;
}

/** The backend selected so far, if any. */
export function activeTfjsBackend(): TfjsBackendName | undefined {
  return activeKind;
}
