import fc from 'fast-check';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { type Batch, MAX_JSON_DEPTH, MixnsqueezeError, decodeBatchJson, decodeNpy, encodeBatchJson, encodeNpy, makeBatch } from '@mixnsqueeze/core';
import { decodeCsvTable } from '../src/data/csv-table.ts';
import { decodeIdx } from '../src/data/idx.ts';
import { decodeImage } from '../src/data/image-files.ts';

/**
 * Fuzzing the readers: arbitrary bytes and mutated valid files either decode to something valid
 * or throw one of the project's typed errors (a MixnsqueezeError), never a RangeError, TypeError
 * or stack overflow. Fixed seed; 1000 runs per property keep the file to a few seconds.
 * FUZZ_SEED and FUZZ_RUNS run a longer or another search by hand.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 15);
const NUM_RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
const opts = { seed: SEED, numRuns: NUM_RUNS };

/** Runs a reader: a typed error is an answer, anything else that is thrown fails the property. */
function outcome<T>(read: () => T): T | MixnsqueezeError {
  try {
    return read();
  } catch (e) {
    if (e instanceof MixnsqueezeError) return e;
    throw new Error(`untyped ${(e as Error)?.constructor?.name ?? typeof e}: ${String((e as Error)?.message ?? e).slice(0, 200)}`);
  }
}

function expectValidBatch(b: Batch): void {
  expect(b.data).toBeInstanceOf(Float32Array);
  expect(b.shape.every((d) => Number.isInteger(d) && d >= 0)).toBe(true);
  expect(b.shape.reduce((a, d) => a * d, 1)).toBe(b.data.length);
}

type Mutation = { kind: 'set'; at: number; byte: number } | { kind: 'cut'; at: number } | { kind: 'insert'; at: number; bytes: Uint8Array } | { kind: 'delete'; at: number; count: number };

// Headers are where readers make decisions: most positions fall in the first 64 bytes.
const position = fc.oneof(fc.nat({ max: 63 }), fc.nat());
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: position, byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: position }),
  fc.record({ kind: fc.constant('insert' as const), at: position, bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: position, count: fc.integer({ min: 1, max: 16 }) }),
);

function mutate(valid: Uint8Array, ms: readonly Mutation[]): Uint8Array {
  let b = Uint8Array.from(valid);
  for (const m of ms) {
    const at = b.length === 0 ? 0 : m.at % (b.length + 1);
    if (m.kind === 'set' && at < b.length) b[at] = m.byte;
    else if (m.kind === 'cut') b = b.slice(0, at);
    else if (m.kind === 'insert') b = Uint8Array.from([...b.subarray(0, at), ...m.bytes, ...b.subarray(at)]);
    else if (m.kind === 'delete') b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + m.count)]);
  }
  return b;
}

/** Mutants of one of the valid files: 1 to 6 byte-level edits each. */
const mutantOf = (valids: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> =>
  fc.tuple(fc.constantFrom(...valids), fc.array(mutation, { minLength: 1, maxLength: 6 })).map(([v, ms]) => mutate(v, ms));

const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const bytesOf = (s: string): Uint8Array => new TextEncoder().encode(s);
const batch = makeBatch(Float32Array.from({ length: 2 * 3 * 2 }, (_, i) => i / 11), [2, 3, 2]);

describe('.npy reader', () => {
  const u8 = Uint8Array.from([...encodeNpy(batch)]);
  // The same array as uint8 and float64, by editing the header's dtype (both are 1- and 8-byte types).
  const asDtype = (descr: string, bytes: number): Uint8Array => {
    const head = `{'descr': '${descr}', 'fortran_order': False, 'shape': (2, 3, 2), }`.padEnd(117, ' ') + '\n';
    const out = new Uint8Array(10 + head.length + 12 * bytes);
    out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, head.length, 0]);
    out.set(bytesOf(head), 10);
    return out;
  };
  const valids = [u8, asDtype('|u1', 1), asDtype('<f8', 8)];

  it('valid files decode', () => {
    for (const v of valids) expectValidBatch(decodeNpy(v));
  });

  it(`arbitrary bytes: a batch or a typed error (numRuns ${NUM_RUNS})`, () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (b) => {
        const r = outcome(() => decodeNpy(b));
        if (!(r instanceof MixnsqueezeError)) expectValidBatch(r);
      }),
      opts,
    );
  });

  it(`mutated valid files: a batch or a typed error (numRuns ${NUM_RUNS})`, () => {
    fc.assert(
      fc.property(mutantOf(valids), (b) => {
        const r = outcome(() => decodeNpy(b));
        if (!(r instanceof MixnsqueezeError)) expectValidBatch(r);
      }),
      opts,
    );
  });
});

describe('JSON batch reader', () => {
  const flat = bytesOf(encodeBatchJson(batch));
  const nested = bytesOf(JSON.stringify({ shape: batch.shape, data: [[[0, 0.1], [0.2, 0.3], [0.4, 0.5]], [[0.6, 0.7], [0.8, null], [1, 0]]] }));
  const valids = [flat, nested];

  it(`arbitrary text and JSON values: a batch or a typed error (numRuns ${NUM_RUNS})`, () => {
    const doc = fc.oneof(fc.string(), fc.json(), fc.record({ shape: fc.jsonValue(), data: fc.jsonValue() }).map((o) => JSON.stringify(o)));
    fc.assert(
      fc.property(doc, (t) => {
        const r = outcome(() => decodeBatchJson(t));
        if (!(r instanceof MixnsqueezeError)) expectValidBatch(r);
      }),
      opts,
    );
  });

  it(`mutated valid files: a batch or a typed error (numRuns ${NUM_RUNS})`, () => {
    fc.assert(
      fc.property(mutantOf(valids), (b) => {
        const r = outcome(() => decodeBatchJson(text(b)));
        if (!(r instanceof MixnsqueezeError)) expectValidBatch(r);
      }),
      opts,
    );
  });

  it(`nesting up to ${MAX_JSON_DEPTH} levels decodes, deeper is a typed error, at any depth (numRuns 40)`, () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 1, max: 2 * MAX_JSON_DEPTH }), fc.integer({ min: 1, max: 200_000 })), fc.boolean(), (depth, inShape) => {
        const deep = `${'['.repeat(depth)}0${']'.repeat(depth)}`;
        const t = inShape ? `{"shape":${deep},"data":[0]}` : `{"shape":[1],"data":${deep}}`;
        const r = outcome(() => decodeBatchJson(t));
        if (!inShape && depth <= MAX_JSON_DEPTH) expectValidBatch(r as Batch);
        else expect(r).toBeInstanceOf(MixnsqueezeError);
      }),
      { seed: SEED, numRuns: 40 },
    );
  });
});

describe('IDX reader', () => {
  const idx = (type: number, dims: number[], bytesPer: number): Uint8Array => {
    const count = dims.reduce((a, d) => a * d, 1);
    const out = new Uint8Array(4 + 4 * dims.length + count * bytesPer);
    out.set([0, 0, type, dims.length]);
    const v = new DataView(out.buffer);
    dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
    for (let i = 4 + 4 * dims.length; i < out.length; i++) out[i] = (i * 37) % 256;
    return out;
  };
  const valids = [idx(0x08, [2, 3, 3], 1), idx(0x08, [5], 1), idx(0x0d, [2, 2], 4), idx(0x0e, [3], 8), idx(0x0b, [2, 2], 2)];
  const check = (b: Uint8Array) => {
    const r = outcome(() => decodeIdx(b));
    if (!(r instanceof MixnsqueezeError)) expect(r.dims.reduce((a, d) => a * d, 1)).toBe(r.data.length);
  };

  it(`arbitrary bytes: an array or a typed error (numRuns ${NUM_RUNS})`, () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 128 }), check), opts);
  });

  it(`mutated valid files: an array or a typed error (numRuns ${NUM_RUNS})`, () => {
    fc.assert(fc.property(mutantOf(valids), check), opts);
  });
});

describe('CSV table reader', () => {
  const valids = [
    bytesOf('f1,f2,label\n0.1,0.2,cat\n0.3,0.4,dog\n0.5,0.6,cat\n'),
    bytesOf('1,2,0\n3,4,1\n5,6,2\n'),
    bytesOf('label,a,b,c\n0,1,2,3\n1,"4",5,6\n'),
  ];
  const check = (t: string) => {
    const r = outcome(() => decodeCsvTable(t, 'fuzz.csv'));
    if (r instanceof MixnsqueezeError) return;
    expectValidBatch(r.x);
    expect(r.labels.length).toBe(r.x.shape[0]);
    expect(r.labels.every((l) => l >= 0)).toBe(true);
  };

  it(`arbitrary text: a dataset or a typed error (numRuns ${NUM_RUNS})`, () => {
    const csvish = fc.array(fc.array(fc.oneof(fc.string({ maxLength: 6 }), fc.double().map(String), fc.integer().map(String)), { maxLength: 5 }), { maxLength: 6 });
    fc.assert(fc.property(fc.oneof(fc.string(), csvish.map((rows) => rows.map((r) => r.join(',')).join('\n'))), check), opts);
  });

  it(`mutated valid files: a dataset or a typed error (numRuns ${NUM_RUNS})`, () => {
    fc.assert(fc.property(mutantOf(valids), (b) => check(text(b))), opts);
  });
});

describe('PNG and JPEG reader', () => {
  const png = (w: number, h: number, colorType: 0 | 2 | 6): Uint8Array => {
    const p = new PNG({ width: w, height: h, colorType, inputColorType: 6, bitDepth: 8 });
    for (let i = 0; i < p.data.length; i++) p.data[i] = (i * 29) % 256;
    return Uint8Array.from(PNG.sync.write(p, { colorType, inputColorType: 6 }));
  };
  const jpg = (w: number, h: number): Uint8Array => {
    const data = Buffer.alloc(w * h * 4, 0);
    for (let i = 0; i < data.length; i++) data[i] = (i * 13) % 256;
    return Uint8Array.from(jpeg.encode({ data, width: w, height: h }, 80).data);
  };
  const valids = [png(4, 3, 6), png(5, 5, 0), png(3, 2, 2), jpg(8, 8), jpg(5, 3)];
  const check = (b: Uint8Array) => {
    const r = outcome(() => decodeImage(Buffer.from(b), 'fuzz-image'));
    if (r instanceof MixnsqueezeError) return;
    expect(r.width * r.height * 4).toBe(r.rgba.length);
  };

  it('valid files decode', () => {
    for (const v of valids) check(v);
    expect(valids.map((v) => (decodeImage(Buffer.from(v), 'x') as { format: string }).format)).toEqual(['PNG', 'PNG', 'PNG', 'JPEG', 'JPEG']);
  });

  it(`arbitrary bytes behind a PNG or JPEG signature: an image or a typed error (numRuns ${NUM_RUNS})`, () => {
    const signature = fc.constantFrom(Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Uint8Array.from([0xff, 0xd8]), new Uint8Array(0));
    fc.assert(fc.property(signature, fc.uint8Array({ maxLength: 128 }), (sig, rest) => check(Uint8Array.from([...sig, ...rest]))), opts);
  });

  it(`mutated valid files: an image or a typed error (numRuns ${NUM_RUNS})`, () => {
    fc.assert(fc.property(mutantOf(valids), check), opts);
  });
});
