import { createHash } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { FileAccessError, decodeNpy, encodeNpy, writeFileAtomic } from '@mixnsqueeze/core';
import { type AttackReport } from '../attack-base.ts';
import { type AdversarialSetKey, CACHE_FORMAT, cacheKeyHash, canonicalJson } from './cache-key.ts';
import { codeFingerprint } from './code-fingerprint.ts';
import { type ReportJson, reportFromJson, reportToJson } from './report-json.ts';

/** The directory used when none is given: $MIXNSQUEEZE_CACHE, else .mixnsqueeze-cache/ under the cwd. */
export function defaultCacheDir(cwd: string = process.cwd(), env: NodeJS.ProcessEnv = process.env): string {
  return env.MIXNSQUEEZE_CACHE ? resolve(cwd, env.MIXNSQUEEZE_CACHE) : join(cwd, '.mixnsqueeze-cache');
}

interface Sidecar {
  readonly format: number;
  readonly key: AdversarialSetKey;
  /** SHA-256 (hex) and length of the .npy file's bytes. */
  readonly sha256: string;
  readonly bytes: number;
  readonly createdAt: string;
  readonly report: ReportJson;
}

/**
 * A disk cache of generated adversarial sets, so that an evaluation never regenerates them. An
 * entry is `<h>.npy` (the adversarial batch) and `<h>.json` (the canonical key, the SHA-256 of the
 * .npy and the attack report), h = SHA-256 of the canonical key. Both are written atomically, the
 * .json last: it commits the entry. A damaged entry (bad JSON, a key that does not match, a missing,
 * truncated or altered .npy) is reported through `warn`, deleted, and treated as a miss, so it is
 * regenerated and never used.
 */
export class AdversarialCache {
  constructor(
    /** Directory of the entries (default: {@link defaultCacheDir}). */
    readonly dir: string = defaultCacheDir(),
    private readonly warn: (message: string) => void = () => {},
    /** Fingerprint of the generating code for keys that carry none: sets made by other code never match. */
    readonly code: string = codeFingerprint(),
  ) {}

  /** The key as stored: with the generating code's fingerprint. */
  #full(key: AdversarialSetKey): AdversarialSetKey {
    return key.code === undefined ? { ...key, code: this.code } : key;
  }

  /** The cached report of this key, or undefined (a miss, or a damaged entry now removed). */
  async get(partial: AdversarialSetKey): Promise<AttackReport | undefined> {
    const key = this.#full(partial);
    const h = cacheKeyHash(key);
    const { npy, json } = this.#paths(h);
    let text: string;
    try {
      text = await readFile(json, 'utf8');
    } catch {
      return undefined;
    }
    try {
      const meta = JSON.parse(text) as Partial<Sidecar>;
      if (meta.format !== CACHE_FORMAT) throw new Error(`format ${String(meta.format)}, expected ${CACHE_FORMAT}`);
      if (canonicalJson(meta.key ?? null) !== canonicalJson(key)) throw new Error('its key does not match');
      let bytes: Buffer;
      try {
        bytes = await readFile(npy);
      } catch {
        throw new Error('the .npy file is missing');
      }
      if (bytes.length !== meta.bytes) throw new Error(`the .npy file has ${bytes.length} bytes, expected ${String(meta.bytes)} (truncated?)`);
      if (createHash('sha256').update(bytes).digest('hex') !== meta.sha256) throw new Error('checksum mismatch');
      return reportFromJson(meta.report ?? {}, decodeNpy(new Uint8Array(bytes), npy));
    } catch (e) {
      this.warn(`adversarial-set cache: entry ${h.slice(0, 12)} in ${this.dir} is damaged (${(e as Error).message}); it is removed and regenerated.`);
      await this.#remove(h);
      return undefined;
    }
  }

  /** Stores a report under its key (replacing any entry). */
  async put(partial: AdversarialSetKey, report: AttackReport): Promise<void> {
    const key = this.#full(partial);
    const h = cacheKeyHash(key);
    const { npy, json } = this.#paths(h);
    try {
      await mkdir(this.dir, { recursive: true });
    } catch (e) {
      throw new FileAccessError(`cannot create the cache directory '${this.dir}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`);
    }
    const bytes = encodeNpy(report.adversarial);
    const meta: Sidecar = {
      format: CACHE_FORMAT,
      key,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      bytes: bytes.length,
      createdAt: new Date().toISOString(),
      report: reportToJson(report),
    };
    await writeFileAtomic(npy, bytes);
    await writeFileAtomic(json, `${JSON.stringify(meta)}\n`);
  }

  /** The cached set of this key, else `make()`'s, stored. `hit` says which. */
  async getOrCreate(key: AdversarialSetKey, make: () => Promise<AttackReport>): Promise<{ report: AttackReport; hit: boolean }> {
    const cached = await this.get(key);
    if (cached) return { report: cached, hit: true };
    const report = await make();
    await this.put(key, report);
    return { report, hit: false };
  }

  /** File paths of the entry with key hash h. */
  entryPaths(key: AdversarialSetKey): { npy: string; json: string } {
    return this.#paths(cacheKeyHash(this.#full(key)));
  }

  #paths(h: string): { npy: string; json: string } {
    return { npy: join(this.dir, `${h}.npy`), json: join(this.dir, `${h}.json`) };
  }

  async #remove(h: string): Promise<void> {
    const { npy, json } = this.#paths(h);
    await rm(json, { force: true });
    await rm(npy, { force: true });
  }
}
