import type { SpendResult, TokenStore } from './token-store.ts';

interface Pending {
  readonly token: string;
  readonly n: number;
  readonly now: number;
  readonly resolve: (r: SpendResult) => void;
  readonly reject: (e: unknown) => void;
}

/**
 * Group commit of budget spends: the spends of the requests read in one turn of the event loop go
 * to the store together (`spendAll`: one immediate transaction, one fsync) at the next
 * `setImmediate`. Each request still learns its own result only after the commit, so the answer
 * never leaves before its spend is on disk; under load, batches grow while a commit syncs.
 */
export class SpendBatcher {
  readonly #store: TokenStore;
  #pending: Pending[] = [];

  /** @param store The store the spends are committed to. */
  constructor(store: TokenStore) {
    this.#store = store;
  }

  /** Requests whose spend waits for the next commit. */
  get pending(): number {
    return this.#pending.length;
  }

  /** Spends `n` attempts of `token` at `now`; resolves once committed. */
  spend(token: string, n: number, now: number): Promise<SpendResult> {
    return new Promise((resolve, reject) => {
      if (this.#pending.push({ token, n, now, resolve, reject }) === 1) setImmediate(() => this.#flush());
    });
  }

  #flush(): void {
    const batch = this.#pending;
    this.#pending = [];
    let results: SpendResult[];
    try {
      results = this.#store.spendAll(batch);
    } catch (e) {
      for (const p of batch) p.reject(e);
      return;
    }
    batch.forEach((p, i) => p.resolve(results[i]!));
  }
}
