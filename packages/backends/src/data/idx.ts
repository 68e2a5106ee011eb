import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { FileAccessError, FormatError } from '@mixnsqueeze/core';

/** An IDX array (LeCun's MNIST format): dimensions and values in file order. */
export interface IdxArray {
  /** Size of each dimension. */
  readonly dims: readonly number[];
  /** The values, typed by the file's element type. */
  readonly data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

const TYPES: Record<number, { bytes: number; name: string }> = {
  0x08: { bytes: 1, name: 'uint8' },
  0x09: { bytes: 1, name: 'int8' },
  0x0b: { bytes: 2, name: 'int16' },
  0x0c: { bytes: 4, name: 'int32' },
  0x0d: { bytes: 4, name: 'float32' },
  0x0e: { bytes: 8, name: 'float64' },
};

/**
 * Decodes an IDX file: magic 0x00 0x00 <type> <ndims>, ndims big-endian uint32 sizes, then the
 * values big-endian. A wrong magic or a length that disagrees with the header is a FormatError.
 */
export function decodeIdx(bytes: Uint8Array, name = 'IDX file'): IdxArray {
  const type = TYPES[bytes[2]!];
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0 || type === undefined || bytes[3] === 0) {
    const magic = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new FormatError(
      `${name}: not an IDX file (magic '${magic}'; expected 00 00 <type 08..0e> <ndims>). Pass an IDX file (e.g. train-images-idx3-ubyte[.gz]).`,
    );
  }
  const ndims = bytes[3]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) throw new FormatError(`${name}: truncated IDX header (${bytes.length} bytes). The file is incomplete.`);
  const dims: number[] = [];
  let count = 1;
  for (let i = 0; i < ndims; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    dims.push(d);
    count *= d;
  }
  const need = headerBytes + count * type.bytes;
  if (bytes.length !== need) {
    throw new FormatError(
      `${name}: header says ${count} ${type.name} values [${dims.join(', ')}] (${need} bytes), the file has ${bytes.length} bytes. The file is truncated or corrupted.`,
    );
  }
  const body = bytes.subarray(headerBytes);
  if (type.bytes === 1) {
    return { dims, data: bytes[2] === 0x08 ? body.slice() : new Int8Array(body.slice().buffer) };
  }
  const data =
    bytes[2] === 0x0b ? new Int16Array(count) : bytes[2] === 0x0c ? new Int32Array(count) : bytes[2] === 0x0d ? new Float32Array(count) : new Float64Array(count);
  const bodyView = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const read =
    bytes[2] === 0x0b
      ? (o: number) => bodyView.getInt16(o, false)
      : bytes[2] === 0x0c
        ? (o: number) => bodyView.getInt32(o, false)
        : bytes[2] === 0x0d
          ? (o: number) => bodyView.getFloat32(o, false)
          : (o: number) => bodyView.getFloat64(o, false);
  for (let i = 0; i < count; i++) data[i] = read(i * type.bytes);
  return { dims, data };
}

/** Reads an IDX file, gunzipping it first when it starts with the gzip magic (1f 8b). */
export async function readIdxFile(path: string): Promise<IdxArray> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FileAccessError(code === 'ENOENT' ? `IDX file '${path}' does not exist. Check the path.` : `cannot read '${path}': ${code}.`);
  }
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new FormatError(`${path}: corrupted gzip data (${(e as Error).message}). Re-download or re-install the file.`);
    }
  }
  return decodeIdx(bytes, path);
}
