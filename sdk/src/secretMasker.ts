/**
 * Replaces secret values in text: one implementation for the kernel (logs, errors, `plugins list`),
 * the agent service (defensive masking of job output) and the agent (every output line).
 *
 * Values are masked on whole lines, so callers split output into lines first (a value split across
 * two read() chunks is whole again by then); multi-line values are registered line by line. One
 * regex alternation, longest value first (a secret containing another is masked whole): a single
 * native scan is several times cheaper than one search per value on large blocks.
 */
export const MASK = '***';

/** Shorter values would shred ordinary text; GitHub's runner has the same floor. */
export const MIN_SECRET_LENGTH = 3;

const COLONS = Buffer.from('::');
const CR = 13;
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export class SecretMasker {
  private readonly values = new Set<string>();
  private probe: RegExp | null = null;
  private replacer: RegExp | null = null;
  /** Matches anything that needs per-line work in job output: a secret, "::", a CR. */
  private special: RegExp = /\r|::/;
  private valueBytes: Buffer[] = [];

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
    this.probe = new RegExp(source);
    this.replacer = new RegExp(source, 'g');
    this.special = new RegExp(`\\r|::|${source}`);
    this.valueBytes = [...this.values].map((v) => Buffer.from(v, 'utf8'));
  }

  get size(): number {
    return this.values.size;
  }

  /** Masks `text`, which may hold many complete lines joined by "\n" (no value holds a newline). */
  mask(text: string): string {
    if (this.probe === null || !this.probe.test(text)) return text;
    return text.replace(this.replacer!, MASK);
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
    return this.special.test(text);
  }

  /** needsWork() on raw bytes, so bulk output is forwarded without being decoded at all. */
  needsWorkBytes(block: Buffer): boolean {
    if (block.includes(COLONS) || block.includes(CR)) return true;
    for (const v of this.valueBytes) if (block.includes(v)) return true;
    return false;
  }
}
