import { hkdfSync, randomFillSync } from 'node:crypto';
import { KeyError } from './errors.ts';
import { KeyedPrg } from './keyed-prg.ts';
import { PRG_ISSUE } from './prg-issue.ts';

/**
 * Where a randomized defense gets its keys. `next()` hands out a generator under a key that was
 * never used before; a defense calls it once per classification call and gives every input of the
 * call its own disjoint segment of that keystream (indistinguishable from one key per input under
 * ChaCha20's PRF assumption, and 5x cheaper than a cipher per input on 28x28 images).
 */
export interface KeySchedule {
  /** True for seed-derived (replayable) keys; a deployment must use OS keys. */
  readonly deterministic: boolean;
  /** A generator under a fresh key, never handed out before. */
  next(): KeyedPrg;
}

// Key schedules are frozen (class, prototype, instances) so that no code holding one, or reaching
// its prototype through Object.getPrototypeOf, can make next() hand out a key it knows.

class OsKeySchedule implements KeySchedule {
  readonly deterministic = false;

  constructor() {
    Object.freeze(this);
  }

  next(): KeyedPrg {
    // A dedicated ArrayBuffer: randomBytes may hand out a slice of Node's shared Buffer pool.
    const key = randomFillSync(new Uint8Array(32));
    const prg = new KeyedPrg(PRG_ISSUE, key);
    key.fill(0);
    return prg;
  }
}
Object.freeze(OsKeySchedule.prototype);
Object.freeze(OsKeySchedule);

/** Fresh 256-bit keys from the OS CSPRNG for every call: the deployment default. */
export function osKeys(): KeySchedule {
  return new OsKeySchedule();
}

const SALT = Buffer.from('mixnsqueeze/keys/v1');

/** The seed's bytes (hex digits are read as hex, other text as UTF-8) in an unpooled buffer. */
function seedBytes(seed: string | Uint8Array): Buffer {
  let bytes: Buffer;
  if (typeof seed !== 'string') bytes = Buffer.from(seed);
  else {
    const hex = seed.startsWith('0x') ? seed.slice(2) : seed;
    bytes = /^[0-9a-fA-F]+$/.test(hex) && hex.length % 2 === 0 ? Buffer.from(hex, 'hex') : Buffer.from(seed, 'utf8');
  }
  // Buffer.from may use Node's shared pool slab; the master seed gets memory of its own.
  const own = Buffer.alloc(bytes.length);
  own.set(bytes);
  bytes.fill(0);
  return own;
}

/**
 * Replayable keys for experiments: key_q = HKDF-SHA256(master seed, salt, "<label>/call=<q>"), with
 * q counting calls to `next()`. `fork(label)` derives an independent schedule (e.g. per run, per
 * sample) whose keys depend only on the master seed and the chain of labels, so results can be
 * reproduced call by call regardless of scheduling. The seed lives in a private field and is never exposed.
 * Instances are frozen, and so are subclass instances (a subclass cannot add public fields).
 */
export class DerivedKeySchedule implements KeySchedule {
  readonly deterministic = true;
  readonly #ikm: Buffer;
  readonly #label: string;
  #calls = 0;

  constructor(seed: string | Uint8Array, label = 'root') {
    const ikm = seedBytes(seed);
    if (ikm.length < 16) {
      throw new KeyError(`derivedKeys: expected a master seed of at least 128 bits, got ${ikm.length * 8}. Use e.g. 32 hex digits.`);
    }
    this.#ikm = ikm;
    this.#label = label;
    Object.freeze(this);
  }

  /** Label path of this schedule, e.g. `root/run=3/sample=12`. */
  get label(): string {
    return this.#label;
  }

  /** Number of keys handed out so far. */
  get calls(): number {
    return this.#calls;
  }

  /** A generator under the next derived key (label path plus call counter). */
  next(): KeyedPrg {
    const info = `${this.#label}/call=${this.#calls++}`;
    const key = new Uint8Array(hkdfSync('sha256', this.#ikm, SALT, info, 32));
    const prg = new KeyedPrg(PRG_ISSUE, key);
    key.fill(0);
    return prg;
  }

  /** An independent child schedule under `label` (no `/`), e.g. one per run or sample; same seed, disjoint keys. */
  fork(label: string): DerivedKeySchedule {
    if (label.includes('/')) throw new KeyError(`derivedKeys.fork: labels may not contain '/', got '${label}'.`);
    return new DerivedKeySchedule(this.#ikm, `${this.#label}/${label}`);
  }
}
Object.freeze(DerivedKeySchedule.prototype);
Object.freeze(DerivedKeySchedule);

/** Seed-derived keys for reproducible experiments; never use in deployment. */
export function derivedKeys(seed: string | Uint8Array, label = 'root'): DerivedKeySchedule {
  return new DerivedKeySchedule(seed, label);
}
