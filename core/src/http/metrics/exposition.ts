/**
 * A minimal Prometheus text exposition (format 0.0.4), hand-written so `/metrics` needs no
 * dependency: counters, gauges and histograms with labels, rendered with HELP and TYPE lines.
 */

export type Labels = Record<string, string>;

export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Label values escape backslash, double quote and newline; HELP text escapes backslash and newline. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function labelText(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  for (const [k] of entries) if (!LABEL.test(k)) throw new Error(`invalid metric label name ${JSON.stringify(k)}`);
  return `{${entries.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}`;
}

/** Keys label sets independently of insertion order. */
function keyOf(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export interface Metric {
  readonly name: string;
  render(): string;
}

abstract class Base implements Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly type: 'counter' | 'gauge' | 'histogram',
  ) {
    if (!NAME.test(name)) throw new Error(`invalid metric name ${JSON.stringify(name)}`);
  }

  protected header(): string {
    return `# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} ${this.type}\n`;
  }

  abstract render(): string;
}

/** A value per label set; counters only go up, gauges are set (or collected at scrape time). */
class Sampled extends Base {
  protected readonly values = new Map<string, { labels: Labels; value: number }>();

  protected put(labels: Labels, value: number): void {
    const key = keyOf(labels);
    // The first label order seen for a series is kept, so its sample line never changes shape.
    this.values.set(key, { labels: this.values.get(key)?.labels ?? labels, value });
  }

  protected get(labels: Labels): number {
    return this.values.get(keyOf(labels))?.value ?? 0;
  }

  render(): string {
    let out = this.header();
    for (const { labels, value } of this.values.values()) out += `${this.name}${labelText(labels)} ${formatValue(value)}\n`;
    return out;
  }
}

export class Counter extends Sampled {
  constructor(name: string, help: string) {
    super(name, help, 'counter');
  }

  inc(labels: Labels = {}, by = 1): void {
    if (by < 0) throw new Error(`counter ${this.name} cannot decrease`);
    this.put(labels, this.get(labels) + by);
  }

  /** For counters whose total lives elsewhere (the store, the process): the current total. */
  set(labels: Labels, total: number): void {
    this.put(labels, total);
  }
}

export class Gauge extends Sampled {
  constructor(name: string, help: string) {
    super(name, help, 'gauge');
  }

  set(labels: Labels, value: number): void {
    this.put(labels, value);
  }

  /** Drops every label set (before re-collecting, so vanished label values do not linger). */
  reset(): void {
    this.values.clear();
  }
}

export class Histogram extends Base {
  private readonly series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();

  constructor(
    name: string,
    help: string,
    /** Upper bounds, ascending; +Inf is added. */
    private readonly buckets: readonly number[],
  ) {
    super(name, help, 'histogram');
    for (let i = 1; i < buckets.length; i++) if (buckets[i]! <= buckets[i - 1]!) throw new Error(`histogram ${name}: buckets must ascend`);
  }

  observe(labels: Labels, value: number): void {
    const key = keyOf(labels);
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 }));
    this.buckets.forEach((le, i) => {
      if (value <= le) s.counts[i]!++;
    });
    s.sum += value;
    s.count++;
  }

  render(): string {
    let out = this.header();
    for (const s of this.series.values()) {
      this.buckets.forEach((le, i) => (out += `${this.name}_bucket${labelText({ ...s.labels, le: formatValue(le) })} ${s.counts[i]}\n`));
      out += `${this.name}_bucket${labelText({ ...s.labels, le: '+Inf' })} ${s.count}\n`;
      out += `${this.name}_sum${labelText(s.labels)} ${formatValue(s.sum)}\n`;
      out += `${this.name}_count${labelText(s.labels)} ${s.count}\n`;
    }
    return out;
  }
}

export function renderAll(metrics: readonly Metric[]): string {
  return metrics.map((m) => m.render()).join('');
}
