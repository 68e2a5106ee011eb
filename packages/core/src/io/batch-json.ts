import { type Batch, makeBatch } from '../batch.ts';
import { FormatError, ShapeError } from '../errors.ts';

/**
 * How deeply `"data"` may nest. NumPy allows 64 axes at most, so deeper data is no batch; the
 * limit also keeps a hostile file from costing more than one pass (the walk is iterative anyway).
 */
export const MAX_JSON_DEPTH = 64;

/** A short description of a JSON value for messages; never recurses, so any depth is safe. */
function describe(v: unknown): string {
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'object' && v !== null) return 'an object';
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 40)}...` : s;
}

/** `data` flattened in C order, walked with an explicit stack: a deep file must not overflow the call stack. */
function flattenNumbers(data: unknown[], name: string): Float32Array {
  const out: number[] = [];
  const stack: { a: unknown[]; i: number }[] = [{ a: data, i: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.i === top.a.length) {
      stack.pop();
      continue;
    }
    const v = top.a[top.i++];
    if (Array.isArray(v)) {
      if (stack.length >= MAX_JSON_DEPTH) {
        throw new FormatError(`${name}: "data" is nested more than ${MAX_JSON_DEPTH} levels deep. Nest it to the shape's axes, or give it flat in C order.`);
      }
      stack.push({ a: v, i: 0 });
    } else if (v === null) {
      // JSON has no NaN/Infinity literal; null is what JSON.stringify makes of them.
      out.push(Number.NaN);
    } else if (typeof v === 'number') {
      out.push(v);
    } else {
      throw new FormatError(`${name}: "data" must hold numbers, got ${describe(v)} at index ${out.length}.`);
    }
  }
  return Float32Array.from(out);
}

/**
 * Reads `{"shape": [...], "data": [...]}` (data flat in C order, or nested to the shape, at most
 * {@link MAX_JSON_DEPTH} levels deep). Anything else is a FormatError.
 */
export function decodeBatchJson(text: string, name = '.json'): Batch {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new FormatError(`${name}: not valid JSON (${(e as Error).message}). Expected {"shape": [...], "data": [...]}.`);
  }
  if (typeof doc !== 'object' || doc === null || !Array.isArray((doc as { shape?: unknown }).shape) || !Array.isArray((doc as { data?: unknown }).data)) {
    throw new FormatError(`${name}: expected an object {"shape": [...], "data": [...]}.`);
  }
  const { shape, data } = doc as { shape: unknown[]; data: unknown[] };
  const bad = shape.findIndex((d) => typeof d !== 'number' || !Number.isInteger(d) || d < 0);
  if (bad >= 0) {
    throw new FormatError(`${name}: "shape" must be a list of non-negative integers, got ${describe(shape[bad])} at index ${bad}.`);
  }
  if (shape.length > MAX_JSON_DEPTH) throw new FormatError(`${name}: "shape" has ${shape.length} axes; at most ${MAX_JSON_DEPTH} are supported.`);
  const values = flattenNumbers(data, name);
  try {
    return makeBatch(values, shape as number[]);
  } catch (e) {
    if (e instanceof ShapeError) throw new FormatError(`${name}: ${e.message}`);
    throw e;
  }
}

/** Encodes a batch as JSON `{ shape, data }` (the form `decodeBatchJson` reads). */
export function encodeBatchJson(b: Batch): string {
  return JSON.stringify({ shape: b.shape, data: Array.from(b.data) });
}
