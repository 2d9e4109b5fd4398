/**
 * Says whether a block of output may contain any of a set of values, in one pass that skips most
 * of the block: a set-Horspool (Wu–Manber) scan with 2-unit blocks. The window is as long as the
 * shortest value (m); the last two units of the window pick a shift from a table built from every
 * value's first m units, so on text without the values the scan moves ~m−1 units per step. Where the
 * shift is 0 the values are compared in full at that window.
 *
 * Why not one regex alternation or one Buffer.includes per value: both read every byte once per
 * value or per alternative (~0.4 s per 200 MB of log for a handful of secrets, on each side of the
 * wire); this reads ~1/(m−1) of the positions. It never misses a value: a window start where a value
 * begins always gets shift 0 at its last block (the table keeps the smallest shift per hash).
 *
 * Works on UTF-8 bytes (`inBytes`) or on a string's UTF-16 units (`inText`); each has its own
 * table, built from the values encoded that way.
 */

const HASH_BITS = 12;
const HASH_MASK = (1 << HASH_BITS) - 1;
const hash2 = (a: number, b: number): number => ((a << 5) ^ b) & HASH_MASK;

/** Shifts are kept in bytes: a longer one is cut to this (a shorter shift is always safe). */
const MAX_SHIFT = 255;

interface Table<V> {
  /** Shortest value length (units); 0 when there are no values. */
  m: number;
  /** By block hash; one byte each, so the table (4 KiB) stays in the first-level cache. */
  shift: Uint8Array;
  /** By block hash: values whose m-prefix ends with a block of this hash (compared at shift 0). */
  byLastBlock: (V[] | undefined)[];
}

function build<V extends { length: number }>(values: readonly V[], unit: (v: V, i: number) => number): Table<V> {
  const m = values.length === 0 ? 0 : Math.min(...values.map((v) => v.length));
  const shift = new Uint8Array(HASH_MASK + 1).fill(Math.min(MAX_SHIFT, Math.max(0, m - 1)));
  const byLastBlock = new Array<V[] | undefined>(HASH_MASK + 1).fill(undefined);
  if (m < 2) return { m, shift, byLastBlock };
  for (const v of values) {
    for (let j = 0; j + 1 < m; j++) {
      const h = hash2(unit(v, j), unit(v, j + 1));
      const s = Math.min(MAX_SHIFT, m - 2 - j);
      if (s < shift[h]!) shift[h] = s;
    }
    const h = hash2(unit(v, m - 2), unit(v, m - 1));
    (byLastBlock[h] ??= []).push(v);
  }
  return { m, shift, byLastBlock };
}

export class ValueFinder {
  private readonly bytes: Table<Buffer>;
  private readonly text: Table<string>;
  /** Values shorter than 2 units cannot use the block table; they are searched directly. */
  private readonly short: { bytes: Buffer[]; text: string[] };

  constructor(values: readonly string[]) {
    const encoded = values.map((v) => Buffer.from(v, 'utf8'));
    this.bytes = build(
      encoded.filter((b) => b.length >= 2),
      (b, i) => b[i]!,
    );
    this.text = build(
      values.filter((v) => v.length >= 2),
      (v, i) => v.charCodeAt(i),
    );
    this.short = { bytes: encoded.filter((b) => b.length > 0 && b.length < 2), text: values.filter((v) => v.length > 0 && v.length < 2) };
  }

  /** True when some value occurs in `block` (UTF-8 bytes). */
  inBytes(block: Uint8Array): boolean {
    for (const v of this.short.bytes) if (Buffer.from(block.buffer, block.byteOffset, block.byteLength).includes(v)) return true;
    const { m, shift, byLastBlock } = this.bytes;
    if (m < 2) return false;
    const n = block.length;
    for (let pos = m - 1; pos < n; ) {
      const h = hash2(block[pos - 1]!, block[pos]!);
      const s = shift[h]!;
      if (s > 0) {
        pos += s;
        continue;
      }
      const candidates = byLastBlock[h];
      if (candidates !== undefined) {
        const start = pos - m + 1;
        for (let k = 0; k < candidates.length; k++) {
          const v = candidates[k]!;
          if (start + v.length <= n && bytesAt(block, start, v)) return true;
        }
      }
      pos += 1;
    }
    return false;
  }

  /** True when some value occurs in `text`. */
  inText(text: string): boolean {
    for (const v of this.short.text) if (text.includes(v)) return true;
    const { m, shift, byLastBlock } = this.text;
    if (m < 2) return false;
    const n = text.length;
    for (let pos = m - 1; pos < n; ) {
      const h = hash2(text.charCodeAt(pos - 1), text.charCodeAt(pos));
      const s = shift[h]!;
      if (s > 0) {
        pos += s;
        continue;
      }
      const candidates = byLastBlock[h];
      if (candidates !== undefined) {
        const start = pos - m + 1;
        for (let k = 0; k < candidates.length; k++) if (text.startsWith(candidates[k]!, start)) return true;
      }
      pos += 1;
    }
    return false;
  }
}

function bytesAt(block: Uint8Array, start: number, v: Buffer): boolean {
  for (let i = 0; i < v.length; i++) if (block[start + i] !== v[i]) return false;
  return true;
}
