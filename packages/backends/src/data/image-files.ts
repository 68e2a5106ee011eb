import { readFile } from 'node:fs/promises';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { FileAccessError, FormatError } from '@mixnsqueeze/core';

/** A decoded image: RGBA bytes (4 per pixel) and how many of the channels carry information. */
export interface DecodedImage {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
  readonly rgba: Uint8Array;
  readonly format: 'PNG' | 'JPEG';
}

export async function readOrThrow(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FileAccessError(code === 'ENOENT' ? `${what} '${path}' does not exist. Check the path.` : `cannot read '${path}': ${code}.`);
  }
}

/** Megapixels an image may have; a hostile header must not make the decoder allocate gigabytes. */
const MAX_MEGAPIXELS = 100;

/** Grayscale PNGs (colour types 0 and 4) become one channel, every other type RGB; alpha is dropped. */
export function decodePng(bytes: Buffer, path: string): DecodedImage {
  // IHDR is the first chunk: width and height, big-endian, at bytes 16 and 20.
  if (bytes.length >= 24 && bytes.readUInt32BE(16) * bytes.readUInt32BE(20) > MAX_MEGAPIXELS * 1e6) {
    throw new FormatError(`${path}: the PNG header says ${bytes.readUInt32BE(16)}x${bytes.readUInt32BE(20)} pixels, more than ${MAX_MEGAPIXELS} megapixels. Pass a smaller image.`);
  }
  let png: ReturnType<typeof PNG.sync.read>;
  try {
    png = PNG.sync.read(bytes);
  } catch (e) {
    throw new FormatError(`${path}: not a readable PNG (${(e as Error).message}).`);
  }
  const gray = png.colorType === 0 || png.colorType === 4;
  return { width: png.width, height: png.height, channels: gray ? 1 : 3, rgba: png.data, format: 'PNG' };
}

/**
 * Baseline and progressive JPEGs, always as RGB: jpeg-js expands grayscale to three equal
 * channels and does not say which it met. The limits keep a hostile header from exhausting memory.
 */
export function decodeJpeg(bytes: Buffer, path: string): DecodedImage {
  try {
    const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_MEGAPIXELS, maxMemoryUsageInMB: 512 });
    return { width: img.width, height: img.height, channels: 3, rgba: img.data, format: 'JPEG' };
  } catch (e) {
    // jpeg-js throws plain strings for some malformed streams.
    throw new FormatError(`${path}: not a readable JPEG (${e instanceof Error ? e.message : String(e)}).`);
  }
}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47];

/** PNG or JPEG by content (not by name), so a misnamed file still decodes or fails with a clear message. */
export function decodeImage(bytes: Buffer, path: string): DecodedImage {
  if (PNG_MAGIC.every((b, i) => bytes[i] === b)) return decodePng(bytes, path);
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return decodeJpeg(bytes, path);
  throw new FormatError(`${path}: neither a PNG nor a JPEG (the file starts with bytes ${[...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ') || 'none: it is empty'}).`);
}

/**
 * Decodes image files into one N x H x W x C batch in [0, 1], in the order given, and names the
 * formats met. All images must share size and channel count: the first one sets them.
 */
export async function decodeImageStack(paths: readonly string[]): Promise<{ data: Float32Array; shape: [number, number, number]; formats: Set<string> }> {
  const formats = new Set<string>();
  let data: Float32Array | undefined;
  let shape: [number, number, number] = [0, 0, 0];
  for (const [i, path] of paths.entries()) {
    const img = decodeImage(await readOrThrow(path, 'image'), path);
    formats.add(img.format);
    if (!data) {
      shape = [img.height, img.width, img.channels];
      data = new Float32Array(paths.length * img.height * img.width * img.channels);
    } else if (img.height !== shape[0] || img.width !== shape[1] || img.channels !== shape[2]) {
      throw new FormatError(
        `${path}: ${img.height}x${img.width}x${img.channels} differs from the first image's ${shape.join('x')}. All images must share size and channels.`,
      );
    }
    const c = img.channels;
    const pixels = img.height * img.width;
    const o = i * pixels * c;
    const rgba = img.rgba;
    for (let p = 0; p < pixels; p++) {
      for (let ch = 0; ch < c; ch++) data[o + p * c + ch] = rgba[p * 4 + ch]! / 255;
    }
  }
  return { data: data ?? new Float32Array(0), shape, formats };
}
