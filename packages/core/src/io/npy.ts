import { type Batch, makeBatch } from '../batch.ts';
import { FormatError } from '../errors.ts';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const DTYPES: Record<string, { bytes: number; read: (v: DataView, o: number) => number }> = {
  '<f4': { bytes: 4, read: (v, o) => v.getFloat32(o, true) },
  '<f8': { bytes: 8, read: (v, o) => v.getFloat64(o, true) },
  '|u1': { bytes: 1, read: (v, o) => v.getUint8(o) },
  '<u1': { bytes: 1, read: (v, o) => v.getUint8(o) },
};

/**
 * Reads a NumPy `.npy` file (format 1.0-3.0, C order). float32 is read without conversion;
 * float64 and uint8 are converted to float32 values as they are (no scaling).
 */
export function decodeNpy(bytes: Uint8Array, name = '.npy'): Batch {
  if (bytes.length < 10 || MAGIC.some((m, i) => bytes[i] !== m)) {
    throw new FormatError(`${name}: not a .npy file (missing \\x93NUMPY magic). Save it with numpy.save.`);
  }
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new FormatError(`${name}: truncated .npy header.`);
    headerLen = view.getUint32(8, true);
    start = 12;
  } else {
    throw new FormatError(`${name}: unsupported .npy format version ${major}; expected 1, 2 or 3.`);
  }
  if (start + headerLen > bytes.length) throw new FormatError(`${name}: truncated .npy header.`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new FormatError(`${name}: malformed .npy header '${header.trim()}'.`);
  }
  if (fortran === 'True') throw new FormatError(`${name}: Fortran-order arrays are not supported; save with np.ascontiguousarray.`);
  const dtype = DTYPES[descr];
  if (!dtype) {
    throw new FormatError(`${name}: dtype '${descr}' is not supported; expected float32 ('<f4'), float64 or uint8.`);
  }
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new FormatError(`${name}: bad shape (${shapeText}).`);
  if (shape.length === 0) throw new FormatError(`${name}: a scalar array is not a batch; expected shape (N, ...).`);
  const count = shape.reduce((a, b) => a * b, 1);
  const dataStart = start + headerLen;
  const need = count * dtype.bytes;
  if (bytes.length - dataStart !== need) {
    throw new FormatError(
      `${name}: header says ${count} values (${need} bytes) of ${descr}, the file holds ${bytes.length - dataStart} bytes. The file is truncated or corrupted.`,
    );
  }
  let data: Float32Array;
  if (descr === '<f4' && (bytes.byteOffset + dataStart) % 4 === 0) {
    data = new Float32Array(bytes.buffer, bytes.byteOffset + dataStart, count).slice();
  } else {
    data = new Float32Array(count);
    for (let i = 0; i < count; i++) data[i] = dtype.read(view, dataStart + i * dtype.bytes);
  }
  return makeBatch(data, shape);
}

/** Encodes a batch as a `.npy` (version 1.0, little-endian float32, C order). */
export function encodeNpy(b: Batch): Uint8Array {
  const shape = b.shape.length === 1 ? `(${b.shape[0]},)` : `(${b.shape.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`;
  // Total header (magic + version + length + dict + newline) is padded to a multiple of 64.
  const pad = 64 - ((10 + header.length + 1) % 64);
  header = header + ' '.repeat(pad % 64) + '\n';
  const out = new Uint8Array(10 + header.length + b.data.length * 4);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  const dv = new DataView(out.buffer, 10 + header.length);
  const d = b.data;
  for (let i = 0; i < d.length; i++) dv.setFloat32(i * 4, d[i]!, true);
  return out;
}
