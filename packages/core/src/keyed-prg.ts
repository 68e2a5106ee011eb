import { createCipheriv } from 'node:crypto';
import { KeyError } from './errors.ts';

/** Values generated per nonce: one 64 KiB ChaCha20 keystream block. */
export const VALUES_PER_NONCE = 16384;
const BYTES_PER_NONCE = VALUES_PER_NONCE * 4;
const ZEROS = Buffer.alloc(BYTES_PER_NONCE);
/** 2^-24: the spacing of the 24-bit uniform grid. */
const TWO_POW_M24 = 5.9604644775390625e-8;

/**
 * A cryptographic pseudo-random generator: ChaCha20 (node:crypto, RFC 8439) under a 256-bit key.
 * The stream is cut in blocks of 16,384 values; block b is the keystream under nonce b (96-bit,
 * little endian) from counter 0, so blocks never overlap. Each 32-bit little-endian word w gives one
 * uniform float ((w >>> 8) + 0.5) * 2^-24: the top 24 bits, centred in their cell so that the
 * distribution is symmetric about 1/2 and never hits 0 or 1.
 *
 * The key lives in a private field: nothing reachable from this object exposes it.
 * Keyed generators are created by key schedules (`osKeys()`, `derivedKeys()`), not by attack code.
 */
export class KeyedPrg {
  readonly #key: Buffer;
  #nonce = 0;
  #words: Uint32Array = new Uint32Array(0);
  #pos = 0;

  constructor(key: Uint8Array) {
    if (key.length !== 32) {
      throw new KeyError(`KeyedPrg: expected a 256-bit (32-byte) key, got ${key.length} bytes. Use osKeys() or derivedKeys().`);
    }
    this.#key = Buffer.from(key);
  }

  #refill(): void {
    const iv = Buffer.alloc(16);
    // Node's chacha20 IV is a 32-bit block counter followed by the 96-bit nonce.
    iv.writeUInt32LE(this.#nonce >>> 0, 4);
    iv.writeUInt32LE(Math.floor(this.#nonce / 0x100000000), 8);
    this.#nonce++;
    const bytes = createCipheriv('chacha20', this.#key, iv).update(ZEROS);
    this.#words = new Uint32Array(bytes.buffer, bytes.byteOffset, VALUES_PER_NONCE);
    this.#pos = 0;
  }

  /** Fills `out` with the next uniform values in (0, 1). */
  uniform(out: Float32Array | Float64Array): void {
    let i = 0;
    const n = out.length;
    while (i < n) {
      if (this.#pos === this.#words.length) this.#refill();
      const w = this.#words;
      let p = this.#pos;
      const m = Math.min(n - i, w.length - p);
      for (let e = i + m; i < e; i++, p++) out[i] = ((w[p]! >>> 8) + 0.5) * TWO_POW_M24;
      this.#pos = p;
    }
  }

  /** Next raw 32-bit words of the stream (for derivations that need bits, not floats). */
  words(out: Uint32Array): void {
    let i = 0;
    while (i < out.length) {
      if (this.#pos === this.#words.length) this.#refill();
      const m = Math.min(out.length - i, this.#words.length - this.#pos);
      out.set(this.#words.subarray(this.#pos, this.#pos + m), i);
      i += m;
      this.#pos += m;
    }
  }
}
