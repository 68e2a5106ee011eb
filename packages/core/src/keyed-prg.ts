import { createCipheriv } from 'node:crypto';
import { KeyError } from './errors.ts';
import { PRG_ISSUE } from './prg-issue.ts';

/** Values generated per nonce: one 64 KiB ChaCha20 keystream block. */
export const VALUES_PER_NONCE = 16384;
const BYTES_PER_NONCE = VALUES_PER_NONCE * 4;
const ZEROS = Buffer.alloc(BYTES_PER_NONCE);
/** 2^-24: the spacing of the 24-bit uniform grid. */
export const TWO_POW_M24 = 5.9604644775390625e-8;
/**
 * Module-private scratch for uniform(): keystream words in transit. Only the private #fill writes
 * it, so no method can be made to hand it to an object posing as a generator.
 */
const SCRATCH = new Uint32Array(VALUES_PER_NONCE);

/**
 * A cryptographic pseudo-random generator: ChaCha20 (node:crypto, RFC 8439) under a 256-bit key.
 * The stream is cut in blocks of 16,384 values; block b is the keystream under nonce b (96-bit,
 * little endian) from counter 0, so blocks never overlap. Each 32-bit little-endian word w gives one
 * uniform float ((w >>> 8) + 0.5) * 2^-24: the top 24 bits, centred in their cell so that the
 * distribution is symmetric about 1/2 and never hits 0 or 1.
 *
 * The key lives in a private field: nothing reachable from this object exposes it. Generators are
 * made by key schedules only (`osKeys()`, `derivedKeys()`); the class, its prototype and its
 * instances are frozen, so no code can choose a generator's draws by patching or subclassing, and
 * `isGenuine` tells a real generator from a look-alike by its private key, not by its methods.
 */
export class KeyedPrg {
  readonly #key: Buffer;
  #nonce = 0;
  #cipher: ReturnType<typeof createCipheriv> | undefined;
  /** Words left under the current nonce. */
  #left = 0;

  /** @internal Made by key schedules only: `osKeys().next()`, `derivedKeys(seed).next()`. */
  constructor(issue: unknown, key: Uint8Array) {
    // A subclass could override words() and so choose a defense's noise: only this exact class,
    // with the token that only the key schedules hold, makes a generator.
    if (issue !== PRG_ISSUE || new.target !== KeyedPrg) {
      throw new KeyError('KeyedPrg: generators are made by key schedules only; use osKeys().next() or derivedKeys(seed).next().');
    }
    if (key.length !== 32) {
      throw new KeyError(`KeyedPrg: expected a 256-bit (32-byte) key, got ${key.length} bytes. Use osKeys() or derivedKeys().`);
    }
    // Buffer.alloc never takes memory from Node's shared 8 KiB pool, whose slab other, public
    // Buffers would expose through their .buffer.
    this.#key = Buffer.alloc(32);
    this.#key.set(key);
    Object.freeze(this);
  }

  /** Whether `value` is a generator made by a key schedule: a brand check on the private key, never duck typing. */
  static isGenuine(value: unknown): value is KeyedPrg {
    return typeof value === 'object' && value !== null && #key in value;
  }

  /** Throws a KeyError unless `value` is a generator made by a key schedule; `who` names the caller in the message. */
  static assertGenuine(value: unknown, who: string): asserts value is KeyedPrg {
    if (!KeyedPrg.isGenuine(value)) {
      throw new KeyError(`${who}: expected a generator made by a key schedule, got ${value === null ? 'null' : typeof value === 'object' ? 'another object' : typeof value}; pass osKeys().next() or derivedKeys(seed).next().`);
    }
  }

  /** Next raw 32-bit words of the stream. Generates exactly what is asked: a batch of one costs one short keystream. */
  words(out: Uint32Array): void {
    KeyedPrg.assertGenuine(this, 'KeyedPrg.words');
    this.#fill(out);
  }

  /** Fills `out` with the next uniform values in (0, 1). */
  uniform(out: Float32Array | Float64Array): void {
    // Checked before SCRATCH is touched: run on a look-alike `this`, it must hand over nothing.
    KeyedPrg.assertGenuine(this, 'KeyedPrg.uniform');
    const w = SCRATCH;
    for (let start = 0; start < out.length; start += w.length) {
      const m = Math.min(w.length, out.length - start);
      this.#fill(m === w.length ? w : w.subarray(0, m));
      for (let i = 0; i < m; i++) out[start + i] = ((w[i]! >>> 8) + 0.5) * TWO_POW_M24;
    }
  }

  #fill(out: Uint32Array): void {
    const bytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    let i = 0;
    while (i < out.length) {
      if (this.#left === 0) {
        const iv = Buffer.alloc(16);
        // Node's chacha20 IV is a 32-bit block counter followed by the 96-bit nonce; the cipher
        // keeps counting across update() calls, so partial reads of a block join up exactly.
        iv.writeUInt32LE(this.#nonce >>> 0, 4);
        iv.writeUInt32LE(Math.floor(this.#nonce / 0x100000000), 8);
        this.#nonce++;
        this.#cipher = createCipheriv('chacha20', this.#key, iv);
        this.#left = VALUES_PER_NONCE;
      }
      const m = Math.min(out.length - i, this.#left);
      bytes.set(this.#cipher!.update(ZEROS.subarray(0, m * 4)), i * 4);
      i += m;
      this.#left -= m;
    }
  }
}
// Frozen as the module loads, before any plugin can: no method or static (isGenuine) can be swapped.
Object.freeze(KeyedPrg.prototype);
Object.freeze(KeyedPrg);
