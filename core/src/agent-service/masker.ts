/**
 * The service's defensive masking of agent output: the kernel Redactor's rules (values trimmed,
 * multi-line values also line by line, at least 3 characters) with one regex alternation instead of
 * one scan per value, since every log byte of every job passes through here. A twin of the agent's
 * masker (agent/src/masker.ts); the agent cannot import core.
 */
export const MASK = '***';
/** Shorter values would shred ordinary text; GitHub's runner has the same floor. */
const MIN_LENGTH = 3;

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export class LogMasker {
  private readonly values = new Set<string>();
  private probe: RegExp | null = null;
  private replacer: RegExp | null = null;

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
  }

  get size(): number {
    return this.values.size;
  }

  /** Masks `text` (complete lines joined by "\n"; masked values hold no newline). */
  mask(text: string): string {
    if (this.probe === null || !this.probe.test(text)) return text;
    return text.replace(this.replacer!, MASK);
  }
}

/** Deep copy with every string masked (outputs maps). */
export function maskRecord(m: LogMasker, record: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(record)) out[k] = m.mask(v);
  return out;
}
