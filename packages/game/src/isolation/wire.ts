import { type AttackAnswer, type Batch, type BoxLevel } from '@mixnsqueeze/core';

/**
 * The public recipe of the classifier under attack, for white- and gray-box games played across a
 * process boundary, where the classifier object cannot go: the adversary's process builds its own
 * copy from it (Kerckhoffs: everything but the keys is public). At white box the copy is the
 * defense with keys of the child's own; at gray box the base model alone.
 */
export interface PublicModel {
  /** Zoo id, tfjs `model.json` or `.onnx` path, as `loadClassifier` reads it. */
  readonly source: string;
  /** Squeezer specs of the defense, in order (white box). */
  readonly squeeze?: readonly string[];
  /** Randomizer spec of the defense, e.g. `uniform:0.3` (white box). */
  readonly randomize?: string;
}

/** What the child is told about a game: the description, never the classifier or its keys. */
export interface GameDescription {
  /** How much of the classifier the adversary is told. */
  readonly box: BoxLevel;
  /** The defense's description string. */
  readonly description: string;
  /** N, the Attack queries the game allows. */
  readonly budget: number;
  /** Attack queries left when the game starts. */
  readonly remaining: number;
  /** White and gray box: the recipe the child builds its own copy of the classifier from. */
  readonly model?: PublicModel;
}

/** A batch as it crosses the pipe (V8 serialization keeps the Float32Array). */
export interface WireBatch {
  /** The values, in a buffer of their own. */
  readonly data: Float32Array;
  /** [N, ...sampleShape]. */
  readonly shape: number[];
}

/** Parent to child. `init` once, then per game one `play` and an `answer` per oracle query. */
export type ToChild =
  | { readonly type: 'init'; readonly plugins: readonly string[] }
  | {
      readonly type: 'play';
      readonly game: number;
      readonly spec: string;
      readonly candidates: WireBatch;
      readonly labels: Int32Array;
      readonly view: GameDescription;
    }
  | {
      readonly type: 'answer';
      readonly game: number;
      readonly id: number;
      readonly remaining: number;
      readonly labels?: Int32Array;
      readonly answers?: AttackAnswer[];
      readonly error?: string;
    };

/** Child to parent: `ready` or `failed` after `init`; oracle queries; one `done` or `error` per game. */
export type ToParent =
  | { readonly type: 'ready' }
  | { readonly type: 'failed'; readonly message: string }
  | {
      readonly type: 'classify' | 'attack';
      readonly game: number;
      readonly id: number;
      /** The query's samples; absent when `pool` stands for them. */
      readonly x?: WireBatch;
      /** The query is the game's whole candidate pool, which the parent has: nothing to send. */
      readonly pool?: true;
    }
  | { readonly type: 'done'; readonly game: number }
  | { readonly type: 'error'; readonly game: number; readonly message: string; readonly oracle?: number };

/**
 * A batch for the pipe: its own buffer, exactly its size. Serializing a view sends the whole
 * ArrayBuffer behind it, which may be a large test set the adversary has no business seeing.
 */
export function toWire(x: Batch): WireBatch {
  const d = x.data;
  const own = d.byteOffset === 0 && d.byteLength === d.buffer.byteLength ? d : d.slice();
  return { data: own, shape: [...x.shape] };
}

/**
 * Whether two batches hold the same samples, bit for bit (so -0 and NaN payloads count): a query
 * of the whole candidate pool, the greedy A*'s every query, then crosses as a reference.
 */
export function sameBatch(a: Batch, b: Batch): boolean {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) return false;
  if (a.data === b.data) return true;
  const n = a.data.length;
  if (n !== b.data.length) return false;
  const u = new Uint32Array(a.data.buffer, a.data.byteOffset, n);
  const v = new Uint32Array(b.data.buffer, b.data.byteOffset, n);
  for (let i = 0; i < n; i++) if (u[i] !== v[i]) return false;
  return true;
}

/** The first line of an error's message, for one-line reports across the boundary. */
export function firstLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split('\n')[0]!.slice(0, 500);
}
