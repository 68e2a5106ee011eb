import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Batch, type FeatureSpace, encodeNpy } from '@mixnsqueeze/core';
import { TfjsClassifier } from '@mixnsqueeze/backends';
import { Median } from '@mixnsqueeze/squeezers';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('../torch_peer.py', import.meta.url));

/** The cases bench/torch_peer.py computes. */
export type PeerCase = 'cw2' | 'eot-pgd' | 'gradient' | 'defended-gradient';

/** What bench/torch_peer.py printed for one case. */
export interface PeerResult {
  readonly case: PeerCase;
  /** Time of the attack alone (no import, model build or warm-up). */
  readonly seconds: number;
  /** CPU time of all the process's threads during the attack: what the work costs, however busy the machine. */
  readonly cpu_seconds: number;
  /** Input gradients computed, in samples. */
  readonly gradient: number;
  readonly success: number;
  readonly n: number;
  /** How the EOT draws reach the model: one stacked batch or a loop of batches. */
  readonly eot: 'stacked' | 'looped' | null;
  readonly threads: number;
  readonly omp_wait_policy: string;
  readonly torch: string;
  /** Memory layout of the model and its inputs ('channels-last' by default). */
  readonly layout: string;
  /** The libblas.so.3 the process loaded: netlib's reference BLAS is 3x slower on the Linear layers' share. */
  readonly blas: string;
  readonly logit_max_abs_diff: number;
}

/** How to enable the peer, for the note printed when it is skipped. */
export const PEER_HINT = `the PyTorch peer needs Debian's python3-torch with an optimized BLAS (apt-get install -y python3-torch libopenblas0-openmp) for ${PYTHON}`;

/** Whether `/usr/bin/python3 -c "import torch"` succeeds. */
export function peerAvailable(): boolean {
  return spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

/**
 * The PyTorch peer of the headline cases: the weights of the shipped model (read from its tfjs
 * files, the ones model.onnx was exported from), the seeds, their labels, the default backend's
 * logits and the seeds through median 2x2, as .npy files in a temporary directory that
 * bench/torch_peer.py reads (and checks against before timing).
 */
export class TorchPeer {
  readonly #dir: string;

  private constructor(dir: string) {
    this.#dir = dir;
  }

  /** The directory of .npy files bench/torch_peer.py reads (to run its variants by hand). */
  get dir(): string {
    return this.#dir;
  }

  static async prepare(modelJson: string, space: FeatureSpace, x: Batch, labels: Int32Array, logits: Batch): Promise<TorchPeer> {
    const dir = mkdtempSync(join(tmpdir(), 'mns-torch-peer-'));
    const write = (name: string, b: Batch) => writeFileSync(join(dir, `${name}.npy`), encodeNpy(b));
    const tfjs = await TfjsClassifier.load(modelJson, { log: () => undefined });
    try {
      for (const layer of tfjs.model.layers) {
        layer.getWeights().forEach((t, j) => write(`${layer.name}_${j === 0 ? 'kernel' : 'bias'}`, { data: t.dataSync() as Float32Array, shape: t.shape }));
      }
    } finally {
      tfjs.dispose();
    }
    write('x', x);
    write('labels', { data: Float32Array.from(labels), shape: [labels.length] });
    write('logits', logits);
    write('median', new Median(2).apply(x, space));
    return new TorchPeer(dir);
  }

  /** Runs one case in a fresh python3 process (sequentially: never beside our own attack). */
  run(c: PeerCase, eot: 'stacked' | 'looped' = 'looped'): PeerResult {
    const out = execFileSync(PYTHON, [SCRIPT, this.#dir, c, '--eot', eot], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    return JSON.parse(out.trim().split('\n').at(-1)!) as PeerResult;
  }

  dispose(): void {
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
