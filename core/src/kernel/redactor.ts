/**
 * Remembers every secret value the kernel has seen (config references, resolved job secrets) and
 * replaces them in any text that could be printed: logs, error messages, `plugins list`.
 */
export const REDACTED = '***';

/** Values shorter than this would shred ordinary text if masked; GitHub's runner has the same floor. */
const MIN_SECRET_LENGTH = 3;

export class Redactor {
  private readonly values = new Set<string>();
  private ordered: string[] = [];

  add(value: string): void {
    for (const part of [value, ...value.split(/\r?\n/)]) {
      const trimmed = part.trim();
      if (trimmed.length >= MIN_SECRET_LENGTH && !this.values.has(trimmed)) this.values.add(trimmed);
    }
    // Longest first, so a secret that contains another is masked whole.
    this.ordered = [...this.values].sort((a, b) => b.length - a.length);
  }

  redact(text: string): string {
    let out = text;
    for (const value of this.ordered) {
      if (out.includes(value)) out = out.split(value).join(REDACTED);
    }
    return out;
  }

  /** Deep copy with every string redacted. */
  redactDeep<T>(value: T): T {
    if (typeof value === 'string') return this.redact(value) as T;
    if (Array.isArray(value)) return value.map((v) => this.redactDeep(v)) as T;
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.redactDeep(v)])) as T;
    }
    return value;
  }
}
