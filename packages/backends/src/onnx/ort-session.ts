import type * as Ort from 'onnxruntime-node';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { CapabilityError, ModelLoadError } from '@mixnsqueeze/core';

export type OrtModule = typeof Ort;
let ortModule: Promise<OrtModule> | undefined;

/**
 * onnxruntime-node, imported on first use: its native module costs startup time that tfjs-only
 * users should not pay, and a pooled classifier never needs it in the main thread.
 */
export function loadOrt(): Promise<OrtModule> {
  return (ortModule ??= import('onnxruntime-node'));
}

/** The ONNX Runtime execution providers a classifier can ask for. */
export const EXECUTION_PROVIDERS = ['cpu', 'cuda', 'webgpu'] as const;
/** One of {@link EXECUTION_PROVIDERS}. */
export type ExecutionProvider = (typeof EXECUTION_PROVIDERS)[number];

/** An execution provider this machine's onnxruntime-node cannot use (no binaries, no device). */
export class ExecutionProviderError extends CapabilityError {
  /** The provider that was asked for. */
  readonly provider: ExecutionProvider;
  constructor(provider: ExecutionProvider, reason: string) {
    super(
      `onnx: execution provider '${provider}' is not available here (${reason}). Use executionProvider 'cpu'` +
        (provider === 'cuda'
          ? ', or install the CUDA build of onnxruntime-node (remove onnxruntime-node-install=skip from .npmrc and reinstall with network access) on a machine with CUDA 12.'
          : ', or run on a machine with a WebGPU-capable GPU and its Vulkan/Metal/D3D12 driver.'),
    );
    this.provider = provider;
  }
}

/**
 * Session options shared by in-process sessions and pool workers. 'all' optimisations enable
 * ORT's blocked NCHWc convolutions (about 3x the throughput of 'basic'). One inter-op thread:
 * the graphs are chains, there is nothing to run in parallel between operators.
 */
export function sessionOptions(provider: ExecutionProvider, intraOpThreads: number): Ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: intraOpThreads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    logSeverityLevel: 3,
  };
}

/**
 * Why a GPU provider cannot work here, found without starting it: initialising Dawn or CUDA on a
 * machine without the device costs seconds and can leave native state that crashes the process at
 * exit. Undefined when the device may be there (then ORT itself decides).
 */
function missingDevice(provider: ExecutionProvider): string | undefined {
  if (provider === 'cpu' || process.platform !== 'linux') return undefined;
  if (provider === 'cuda') {
    const dir = dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
    const found = readdirSync(join(dir, 'bin'), { recursive: true }).some((f) => String(f).includes('providers_cuda'));
    if (!found) return 'the CUDA provider library is not installed';
  }
  const gpu = existsSync('/dev/nvidia0') || (existsSync('/dev/dri') && readdirSync('/dev/dri').some((f) => f.startsWith('renderD')));
  return gpu ? undefined : 'no GPU device (/dev/nvidia0 or /dev/dri/renderD*) on this machine';
}

/** One line of an ORT error (they can carry a source path and a newline). */
export function ortReason(e: unknown): string {
  return String((e as Error).message ?? e).trim().split('\n')[0]!.replace(/\.$/, '');
}

export function modelLoadError(path: string, e: unknown): ModelLoadError {
  return new ModelLoadError(`cannot load ONNX model '${path}': ${ortReason(e)}. The file is corrupted, truncated or not an ONNX model; re-export it.`);
}

/**
 * Creates a session, mapping failures to typed errors: a provider that cannot start gives
 * `ExecutionProviderError` (told apart from a bad model by loading the model on the CPU), anything
 * else `ModelLoadError`.
 */
export async function createSession(
  path: string,
  model: Uint8Array,
  provider: ExecutionProvider,
  intraOpThreads: number,
): Promise<Ort.InferenceSession> {
  const missing = missingDevice(provider);
  if (missing) throw new ExecutionProviderError(provider, missing);
  const ort = await loadOrt();
  // ORT logs provider failures itself, in red, before throwing; the typed error says it better.
  if (ort.env.logLevel === 'warning') ort.env.logLevel = 'fatal';
  try {
    return await ort.InferenceSession.create(model, sessionOptions(provider, intraOpThreads));
  } catch (e) {
    if (provider === 'cpu') throw modelLoadError(path, e);
    const cpu = await ort.InferenceSession.create(model, sessionOptions('cpu', 1)).catch((err: unknown) => {
      throw modelLoadError(path, err);
    });
    await cpu.release();
    throw new ExecutionProviderError(provider, ortReason(e));
  }
}
