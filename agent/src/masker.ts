/**
 * Replaces secret values in output. Values are masked on whole lines (the caller splits first), so a
 * value split across two read() chunks is still whole when masked. Multi-line values are registered
 * line by line, because output is masked one line at a time. Same rules as the server's Redactor.
 */
export const MASK = '***';
/** Shorter values would shred ordinary text; GitHub's runner has the same floor. */
const MIN_LENGTH = 3;

const COLONS = Buffer.from('::');
const CR = 13;

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export class Masker {
  private readonly values = new Set<string>();
  private probe: RegExp | null = null;
  private replacer: RegExp | null = null;
  /** Matches anything that needs per-line work: a secret, a workflow command marker, a CR. */
  private special: RegExp = /\r|::/;
  private valueBytes: Buffer[] = [];

  add(value: string): void {
    let changed = false;
    for (const part of [value, ...value.split(/\r?\n/)]) {
      const trimmed = part.trim();
      if (trimmed.length >= MIN_LENGTH && !trimmed.includes('\n') && !this.values.has(trimmed)) {
        this.values.add(trimmed);
        changed = true;
      }
    }
    if (!changed) return;
    // One alternation, longest first (so a secret containing another is masked whole): a single
    // native regex scan is ~4x cheaper than one includes() per value on large blocks.
    const source = [...this.values].sort((a, b) => b.length - a.length).map(escape).join('|');
    this.probe = new RegExp(source);
    this.replacer = new RegExp(source, 'g');
    this.special = new RegExp(`\\r|::|${source}`);
    this.valueBytes = [...this.values].map((v) => Buffer.from(v, 'utf8'));
  }

  /**
   * One scan that tells whether a block needs anything beyond forwarding: false means it holds no
   * secret, no "::" and no CR, which is the common case for bulk output.
   */
  needsWork(text: string): boolean {
    return this.special.test(text);
  }

  /** needsWork() on raw output bytes, so bulk output is forwarded without being decoded at all. */
  needsWorkBytes(block: Buffer): boolean {
    if (block.includes(COLONS) || block.includes(CR)) return true;
    for (const v of this.valueBytes) if (block.includes(v)) return true;
    return false;
  }

  get size(): number {
    return this.values.size;
  }

  /**
   * Masks `text`, which may hold many complete lines joined by "\n": no registered value contains a
   * newline, so masking the block equals masking each line.
   */
  mask(text: string): string {
    if (this.probe === null || !this.probe.test(text)) return text;
    return text.replace(this.replacer!, MASK);
  }
}
