import { type Batch, makeBatch } from '../batch.ts';
import { FormatError, ShapeError } from '../errors.ts';

/** Reads `{"shape": [...], "data": [...]}` (data flat in C order, or nested to the shape). */
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
  if (shape.some((d) => typeof d !== 'number' || !Number.isInteger(d) || d < 0)) {
    throw new FormatError(`${name}: "shape" must be a list of non-negative integers, got ${JSON.stringify(shape)}.`);
  }
  const flat = (data as unknown[]).flat(Infinity as 1);
  const values = new Float32Array(flat.length);
  for (let i = 0; i < flat.length; i++) {
    const v = flat[i];
    // JSON has no NaN/Infinity literal; null is what JSON.stringify makes of them.
    if (v === null) values[i] = Number.NaN;
    else if (typeof v === 'number') values[i] = v;
    else throw new FormatError(`${name}: "data" must hold numbers, got ${JSON.stringify(v)} at index ${i}.`);
  }
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
