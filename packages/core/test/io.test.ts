import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeNpy, encodeNpy } from '../src/io/npy.ts';
import { decodeBatchJson, encodeBatchJson } from '../src/io/batch-json.ts';
import { readBatchFile, writeBatchFile } from '../src/io/files.ts';
import { FileAccessError, FormatError } from '../src/errors.ts';
import { makeBatch } from '../src/batch.ts';

/** A float32 .npy as numpy 1.x writes it for np.zeros((2, 3), np.float32) + [0..5]. */
function numpyBytes(): Uint8Array {
  const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  const padded = header + ' '.repeat(128 - 10 - header.length - 1) + '\n';
  const out = new Uint8Array(10 + padded.length + 24);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  new DataView(out.buffer).setUint16(8, padded.length, true);
  out.set(new TextEncoder().encode(padded), 10);
  new Float32Array(out.buffer, 10 + padded.length, 6).set([0, 1, 2, 3, 4, 5]);
  return out;
}

describe('.npy', () => {
  it('reads what numpy writes', () => {
    const b = decodeNpy(numpyBytes());
    expect(b.shape).toEqual([2, 3]);
    expect([...b.data]).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('round-trips any float32 batch bit for bit, header aligned to 64 bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 }), fc.integer(), (shape, seed) => {
        const n = shape.reduce((a, b) => a * b, 1);
        const data = new Float32Array(n).map((_, i) => Math.sin(seed + i) * 1e3);
        const bytes = encodeNpy(makeBatch(data, shape));
        const headerEnd = 10 + new DataView(bytes.buffer).getUint16(8, true);
        expect(headerEnd % 64).toBe(0);
        const back = decodeNpy(bytes);
        expect(back.shape).toEqual(shape);
        expect(back.data).toEqual(data);
      }),
    );
  });

  it('rejects bad magic, truncation, unknown dtype and Fortran order with FormatError', () => {
    const good = numpyBytes();
    expect(() => decodeNpy(new Uint8Array(20))).toThrow(/magic/);
    expect(() => decodeNpy(good.subarray(0, good.length - 4))).toThrow(/truncated or corrupted/);
    const text = new TextDecoder('latin1').decode(good);
    const enc = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
    expect(() => decodeNpy(enc(text.replace("'<f4'", "'<i4'")))).toThrow(/dtype '<i4'/);
    expect(() => decodeNpy(enc(text.replace('False', 'True ')))).toThrow(/Fortran/);
    for (const bad of [good.subarray(0, 5), good.subarray(0, 30)]) expect(() => decodeNpy(bad)).toThrow(FormatError);
  });
});

describe('.json batches', () => {
  it('reads flat and nested data; null is NaN', () => {
    expect(decodeBatchJson('{"shape":[1,2,2],"data":[[[0,1],[0.5,null]]]}').data[3]).toBeNaN();
    const b = decodeBatchJson(encodeBatchJson(makeBatch(new Float32Array([0.25, 0.5]), [2, 1])));
    expect([...b.data]).toEqual([0.25, 0.5]);
  });

  it('rejects malformed documents with FormatError', () => {
    for (const doc of ['{', '[]', '{"shape":[2],"data":[1]}', '{"shape":[1],"data":["a"]}', '{"shape":[-1],"data":[]}']) {
      expect(() => decodeBatchJson(doc)).toThrow(FormatError);
    }
  });
});

describe('batch files', () => {
  it('writes atomically and leaves no temporary file behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mns-io-'));
    const b = makeBatch(new Float32Array([0, 0.5, 1, 0.25]), [1, 2, 2, 1]);
    await writeBatchFile(join(dir, 'x.npy'), b);
    await writeBatchFile(join(dir, 'x.json'), b);
    expect((await readBatchFile(join(dir, 'x.npy'))).data).toEqual(b.data);
    expect((await readBatchFile(join(dir, 'x.json'))).shape).toEqual([1, 2, 2, 1]);
    expect(readdirSync(dir).sort()).toEqual(['x.json', 'x.npy']);
  });

  it('reports a missing file, an unwritable path and an unknown extension; creates missing folders', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mns-io-'));
    await expect(readBatchFile(join(dir, 'missing.npy'))).rejects.toThrow(/does not exist/);
    writeFileSync(join(dir, 'x.csv'), '1');
    // A path under a regular file cannot be written; missing folders are created.
    await expect(writeBatchFile(join(dir, 'x.csv', 'y.npy'), makeBatch(new Float32Array(1), [1]))).rejects.toThrow(FileAccessError);
    await writeBatchFile(join(dir, 'new', 'folder', 'y.npy'), makeBatch(new Float32Array(1), [1]));
    expect(readdirSync(join(dir, 'new', 'folder'))).toEqual(['y.npy']);
    await expect(readBatchFile(join(dir, 'x.csv'))).rejects.toThrow(/use .npy or .json/);
  });
});
