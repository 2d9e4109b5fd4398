/**
 * Replaces secret values in text: one implementation for the kernel (logs, errors, `plugins list`),
 * the agent service (defensive masking of job output) and the agent (every output line).
 *
 * Values are masked on whole lines, so callers split output into lines first (a value split across
 * two read() chunks is whole again by then); multi-line values are registered line by line.
 * Whether a block holds any value at all is decided by ValueFinder, which skips most of the block;
 * only a block that does is rewritten, by one regex alternation, longest value first (a secret
 * containing another is masked whole).
 */
import { ValueFinder } from './valueFinder.js';

export const MASK = '***';

/** Shorter values would shred ordinary text; GitHub's runner has the same floor. */
export const MIN_SECRET_LENGTH = 3;

const COLONS = Buffer.from('::');
const CR = 13;
/** Lone surrogates (unicode mode pairs the well-formed ones) and U+FFFD: what a decoder may produce. */
const DECODER_MADE = /[\uD800-\uDFFF\uFFFD]/u;
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export class SecretMasker {
  private readonly values = new Set<string>();
  private finder: ValueFinder | null = null;
  private replacer: RegExp | null = null;
  /**
   * A value occurs in decoded text only where its UTF-8 bytes occur in the raw bytes — unless it holds
   * U+FFFD or a lone surrogate, which decoding can produce from other bytes (invalid UTF-8).
   */
  private bytesDecide = true;

  add(value: string): void {
    let changed = false;
    for (const part of [value, ...value.split(/\r?\n/)]) {
      const trimmed = part.trim();
      if (trimmed.length >= MIN_SECRET_LENGTH && !trimmed.includes('\n') && !this.values.has(trimmed)) {
        this.values.add(trimmed);
        changed = true;
      }
    }
    if (!changed) return;
    const source = [...this.values].sort((a, b) => b.length - a.length).map(escape).join('|');
    this.finder = new ValueFinder([...this.values]);
    this.bytesDecide = ![...this.values].some((v) => DECODER_MADE.test(v));
    this.replacer = new RegExp(source, 'g');
  }

  get size(): number {
    return this.values.size;
  }

  /** Masks `text`, which may hold many complete lines joined by "\n" (no value holds a newline). */
  mask(text: string): string {
    if (this.finder === null || !this.finder.inText(text)) return text;
    return text.replace(this.replacer!, MASK);
  }

  /**
   * `bytes` (UTF-8, complete lines) decoded and masked. Whether a value occurs is decided on the bytes
   * (the scan is cheaper there than on the string), so output without secrets is scanned once.
   */
  maskUtf8(bytes: Uint8Array): string {
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
    if (this.finder === null || (this.bytesDecide && !this.finder.inBytes(bytes))) return text;
    return this.mask(text);
  }

  /** Deep copy with every string masked. */
  maskDeep<T>(value: T): T {
    if (typeof value === 'string') return this.mask(value) as T;
    if (Array.isArray(value)) return value.map((v) => this.maskDeep(v)) as T;
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.maskDeep(v)])) as T;
    }
    return value;
  }

  /** False when a block of output holds no secret, no "::" and no CR: it can be forwarded as is. */
  needsWork(text: string): boolean {
    return text.includes('::') || text.includes('\r') || (this.finder !== null && this.finder.inText(text));
  }

  /** needsWork() on raw bytes, so bulk output is forwarded without being decoded at all. */
  needsWorkBytes(block: Buffer): boolean {
    return block.includes(COLONS) || block.includes(CR) || (this.finder !== null && this.finder.inBytes(block));
  }
}
