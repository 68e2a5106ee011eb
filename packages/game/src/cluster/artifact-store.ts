import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, brotliDecompress, constants } from 'node:zlib';
import type { Redis } from 'ioredis';
import { type Batch, FormatError } from '@mixnsqueeze/core';

const compress = promisify(brotliCompress);
const decompress = promisify(brotliDecompress);

/** How long an artifact stays in Redis after its last write or read: long enough for any run to read it again. */
const TTL_S = 7 * 24 * 3600;

/**
 * Adversarial sets (and any other batch a cell hands to another) in Redis, content-addressed: the
 * key is the SHA-256 of the uncompressed bytes, the value those bytes compressed with Brotli. A set
 * reaches every worker that needs it through the queue's own Redis, so no machine needs a shared
 * folder, and the same set made twice is stored once. Each run names its sets by cell key in
 * `ref` entries.
 */
export class ArtifactStore {
  /**
   * @param redis A connection to the queue's Redis.
   * @param prefix Key prefix (the queue's), so one Redis can hold several projects.
   */
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  /** Stores a batch; returns its address (SHA-256 hex of its encoding). */
  async putBatch(batch: Batch): Promise<string> {
    const bytes = encodeBatch(batch);
    const sha = createHash('sha256').update(bytes).digest('hex');
    const key = this.#blob(sha);
    // A set already stored under its hash is the same bytes: only its lifetime is renewed.
    if ((await this.redis.expire(key, TTL_S)) === 1) return sha;
    const packed = await compress(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } });
    await this.redis.set(key, packed, 'EX', TTL_S);
    return sha;
  }

  /** The batch stored under `sha`, checked against its address. */
  async getBatch(sha: string): Promise<Batch> {
    const packed = await this.redis.getBuffer(this.#blob(sha));
    if (!packed) throw new FormatError(`artifact ${sha.slice(0, 12)} is not in the queue's Redis (expired or flushed); run the coordinator again to recompute it.`);
    await this.redis.expire(this.#blob(sha), TTL_S);
    const bytes = await decompress(packed);
    if (createHash('sha256').update(bytes).digest('hex') !== sha) throw new FormatError(`artifact ${sha.slice(0, 12)} in Redis does not match its hash; flush it and run the coordinator again.`);
    return decodeBatch(bytes);
  }

  /** Records that the cell `key` of run `runId` made the artifact `sha`. */
  async setRef(runId: string, key: string, sha: string): Promise<void> {
    await this.redis.set(this.#ref(runId, key), sha, 'EX', TTL_S);
  }

  /** The artifact the cell `key` of run `runId` made, if Redis still has it. */
  async ref(runId: string, key: string): Promise<string | undefined> {
    const sha = await this.redis.get(this.#ref(runId, key));
    if (!sha || (await this.redis.exists(this.#blob(sha))) === 0) return undefined;
    return sha;
  }

  /** Forgets a finished run's references (the blobs expire on their own: another run may share them). */
  async dropRefs(runId: string, keys: readonly string[]): Promise<void> {
    if (keys.length > 0) await this.redis.del(...keys.map((k) => this.#ref(runId, k)));
  }

  #blob(sha: string): string {
    return `${this.prefix}:mns:blob:${sha}`;
  }

  #ref(runId: string, key: string): string {
    return `${this.prefix}:mns:ref:${runId}:${key}`;
  }
}

/** A batch as bytes: a 4-byte length, a JSON header with its shape, then its float32 values (little-endian). */
export function encodeBatch(batch: Batch): Buffer {
  const header = Buffer.from(JSON.stringify({ dtype: 'float32', shape: batch.shape }));
  const len = Buffer.alloc(4);
  len.writeUInt32LE(header.length);
  const data = Buffer.from(batch.data.buffer, batch.data.byteOffset, batch.data.byteLength);
  return Buffer.concat([len, header, data]);
}

/** The inverse of {@link encodeBatch}. */
export function decodeBatch(bytes: Buffer): Batch {
  const n = bytes.readUInt32LE(0);
  const header = JSON.parse(bytes.subarray(4, 4 + n).toString()) as { dtype: string; shape: number[] };
  const body = bytes.subarray(4 + n);
  if (header.dtype !== 'float32' || body.length !== 4 * header.shape.reduce((a, b) => a * b, 1)) throw new FormatError('an artifact in Redis is not a float32 batch of its shape; flush it and run the coordinator again.');
  // A copy: the decompressed buffer may not be 4-byte aligned.
  const data = new Float32Array(body.length / 4);
  Buffer.from(data.buffer).set(body);
  return { data, shape: header.shape };
}
