import { FormatError } from '@mixnsqueeze/core';

/**
 * Read-only access to one table of a FlatBuffers buffer, by field index (the order fields are
 * declared in the schema; a union takes two indices, its type then its value). Every offset is
 * checked against the buffer, so a truncated or hostile file ends in a FormatError naming it, not
 * in a read past the end.
 */
export class FlatTable {
  readonly #view: DataView;
  readonly #pos: number;
  readonly #vtable: number;
  readonly #vtableSize: number;
  readonly #what: string;

  /** The table at byte `pos` of `view`; `what` names the file in errors. */
  constructor(view: DataView, pos: number, what: string) {
    this.#view = view;
    this.#what = what;
    this.#pos = checked(view, pos, 4, what);
    this.#vtable = checked(view, pos - view.getInt32(pos, true), 4, what);
    this.#vtableSize = view.getUint16(this.#vtable, true);
  }

  /** The root table of a buffer (its first four bytes point at it). */
  static root(bytes: Uint8Array, what: string): FlatTable {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return new FlatTable(view, view.getUint32(checked(view, 0, 4, what), true), what);
  }

  /** Byte position of a field's value, or undefined when the field is absent (it has its default). */
  #field(index: number): number | undefined {
    const at = 4 + 2 * index;
    if (at + 2 > this.#vtableSize) return undefined;
    const offset = this.#view.getUint16(checked(this.#view, this.#vtable + at, 2, this.#what), true);
    return offset === 0 ? undefined : this.#pos + offset;
  }

  /** Where an offset field (table, vector, string) points. */
  #target(index: number): number | undefined {
    const p = this.#field(index);
    return p === undefined ? undefined : checked(this.#view, p + this.#view.getUint32(checked(this.#view, p, 4, this.#what), true), 4, this.#what);
  }

  /** An int8 field (TFLite's byte enums: tensor type, padding, activation). */
  int8(index: number, fallback = 0): number {
    const p = this.#field(index);
    return p === undefined ? fallback : this.#view.getInt8(checked(this.#view, p, 1, this.#what));
  }

  /** An int32 (or uint32 below 2^31) field. */
  int32(index: number, fallback = 0): number {
    const p = this.#field(index);
    return p === undefined ? fallback : this.#view.getInt32(checked(this.#view, p, 4, this.#what), true);
  }

  /** A uint32 field. */
  uint32(index: number, fallback = 0): number {
    const p = this.#field(index);
    return p === undefined ? fallback : this.#view.getUint32(checked(this.#view, p, 4, this.#what), true);
  }

  /** A float32 field. */
  float32(index: number, fallback = 0): number {
    const p = this.#field(index);
    return p === undefined ? fallback : this.#view.getFloat32(checked(this.#view, p, 4, this.#what), true);
  }

  /** A sub-table field. */
  table(index: number): FlatTable | undefined {
    const t = this.#target(index);
    return t === undefined ? undefined : new FlatTable(this.#view, t, this.#what);
  }

  /** A string field (UTF-8). */
  string(index: number): string | undefined {
    const bytes = this.bytes(index);
    return bytes && new TextDecoder().decode(bytes);
  }

  /** A vector of bytes, as a view into the buffer (no copy). */
  bytes(index: number): Uint8Array | undefined {
    const t = this.#target(index);
    if (t === undefined) return undefined;
    const n = this.#view.getUint32(t, true);
    checked(this.#view, t + 4, n, this.#what);
    return new Uint8Array(this.#view.buffer, this.#view.byteOffset + t + 4, n);
  }

  /** A vector of int32. */
  int32s(index: number): number[] | undefined {
    const t = this.#target(index);
    if (t === undefined) return undefined;
    const n = this.#view.getUint32(t, true);
    checked(this.#view, t + 4, 4 * n, this.#what);
    return Array.from({ length: n }, (_, i) => this.#view.getInt32(t + 4 + 4 * i, true));
  }

  /** A vector of tables. */
  tables(index: number): FlatTable[] {
    const t = this.#target(index);
    if (t === undefined) return [];
    const n = this.#view.getUint32(t, true);
    checked(this.#view, t + 4, 4 * n, this.#what);
    return Array.from({ length: n }, (_, i) => {
      const at = t + 4 + 4 * i;
      return new FlatTable(this.#view, at + this.#view.getUint32(at, true), this.#what);
    });
  }
}

function checked(view: DataView, pos: number, size: number, what: string): number {
  if (!(pos >= 0 && pos + size <= view.byteLength)) {
    throw new FormatError(`${what}: a FlatBuffers offset points outside the file (byte ${pos} of ${view.byteLength}); the file is truncated or not a FlatBuffer.`);
  }
  return pos;
}
