import { ansiSpans } from './ansi.js';
import { el } from './dom.js';
import { LogSource, type Line } from './logSource.js';

/** Row height in px; app.css gives `.log .ln` the same height (fixed rows make the arithmetic exact). */
const LH = 20;
const OVERSCAN = 30;
/** Browsers cap an element's height (Chrome near 33.5M px): past this many rows, the spacer is scaled. */
const MAX_SPACER_PX = 16_000_000;

const GROUP = /^(?:##\[group\]|::group::)(.*)$/;
const END_GROUP = /^(?:##\[endgroup\]|::endgroup::)/;

interface Fold {
  /** The hidden seqs, inclusive: the group's body through its end marker. */
  start: number;
  end: number;
}

/**
 * The virtualised log: one fixed-height row per visible line, only the rows in view (plus a margin)
 * exist in the DOM, so a million-line log opens as fast as a short one and scrolls smoothly. Lines
 * come from a LogSource by line number; folded `::group::` sections hide their rows.
 */
export class LogView {
  readonly source: LogSource;
  readonly viewport: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly layer: HTMLElement;
  private folds: Fold[] = [];
  /** Lines of a stream switched off (the Egress toggle) are left out of the rows, like folds. */
  private hiddenStream: string | null = null;
  private readonly hidden = new Set<number>();
  /** Group folds and hidden lines together, sorted and disjoint; null after either changed. */
  private merged: Fold[] | null = null;
  private frame = 0;
  private lastKey = '';
  follow = false;
  timestamps = false;
  query = '';
  current = 0;
  target = 0;
  /** Called after each paint (the bench and tests watch for lines this way). */
  onPaint: (() => void) | null = null;

  constructor(viewport: HTMLElement, jobId: string, total: number) {
    this.viewport = viewport;
    this.source = new LogSource(jobId, total, () => this.schedule(true));
    this.spacer = el('div', 'spacer');
    this.layer = el('div', 'layer');
    viewport.replaceChildren(this.spacer, this.layer);
    viewport.classList.add('virtual');
    viewport.addEventListener('scroll', () => {
      // Scrolling up by hand stops following.
      if (this.follow && !this.atBottom()) this.setFollow(false);
      this.schedule(false);
    });
    viewport.addEventListener('click', (e) => {
      const t = e.target as HTMLElement;
      const row = t.closest<HTMLElement>('.ln');
      if (t.closest('.fold') && row) void this.toggleFold(Number(row.dataset.seq));
    });
    new ResizeObserver(() => this.schedule(true)).observe(viewport);
    this.schedule(true);
  }

  get rows(): number {
    let n = this.source.total;
    for (const f of this.allFolds()) n -= f.end - f.start + 1;
    return Math.max(0, n);
  }

  private allFolds(): Fold[] {
    if (this.merged) return this.merged;
    const ranges = [...this.folds, ...[...this.hidden].map((seq) => ({ start: seq, end: seq }))].sort((a, b) => a.start - b.start);
    const out: Fold[] = [];
    for (const r of ranges) {
      const last = out[out.length - 1];
      if (last && r.start <= last.end + 1) last.end = Math.max(last.end, r.end);
      else out.push({ ...r });
    }
    return (this.merged = out);
  }

  private setFolds(folds: Fold[]): void {
    this.folds = folds;
    this.merged = null;
  }

  /**
   * Leaves the lines of `stream` out of the view (null: shows every line again). The log is read once
   * in big ranges to find them; lines streamed later are hidden as they come (noteLine).
   */
  async hideStream(stream: string | null): Promise<void> {
    this.hiddenStream = stream;
    this.hidden.clear();
    this.merged = null;
    this.schedule(true);
    if (stream === null) return;
    const STEP = 10_000;
    for (let from = 1; from <= this.source.total; ) {
      const lines = await this.source.range(from, STEP);
      if (this.hiddenStream !== stream || !lines.length) break;
      for (const l of lines) if (l.stream === stream) this.hidden.add(l.seq);
      from = lines[lines.length - 1]!.seq + 1;
    }
    this.merged = null;
    this.updateSpacer();
    this.schedule(true);
  }

  /** A streamed line: left out at once when its stream is hidden. */
  noteLine(line: Line): void {
    if (this.hiddenStream === null || line.stream !== this.hiddenStream) return;
    this.hidden.add(line.seq);
    this.merged = null;
  }

  /** Pixels per row in the spacer (LH unless the log is too tall for the browser). */
  private get scale(): number {
    return Math.min(1, MAX_SPACER_PX / Math.max(1, this.rows * LH));
  }

  rowToSeq(row: number): number {
    let seq = row + 1;
    for (const f of this.allFolds()) {
      if (f.start <= seq) seq += f.end - f.start + 1;
      else break;
    }
    return seq;
  }

  seqToRow(seq: number): number {
    let hidden = 0;
    for (const f of this.allFolds()) {
      if (f.end < seq) hidden += f.end - f.start + 1;
      else if (f.start <= seq) return f.start - 2 - hidden;
      else break;
    }
    return seq - 1 - hidden;
  }

  atBottom(): boolean {
    const v = this.viewport;
    return v.scrollTop + v.clientHeight >= v.scrollHeight - LH;
  }

  setFollow(on: boolean): void {
    this.follow = on;
    this.viewport.dispatchEvent(new CustomEvent('followchange'));
    if (on) this.scrollToBottom();
  }

  scrollToBottom(): void {
    this.viewport.scrollTop = this.viewport.scrollHeight;
    this.schedule(true);
  }

  scrollToSeq(seq: number, mark: 'target' | 'current' = 'target'): void {
    this.setFolds(this.folds.filter((f) => seq < f.start || seq > f.end));
    if (mark === 'target') this.target = seq;
    else this.current = seq;
    this.schedule(true);
    this.updateSpacer();
    const y = this.seqToRow(seq) * LH * this.scale;
    this.viewport.scrollTop = Math.max(0, y - this.viewport.clientHeight / 3);
  }

  /** Lines arrived (stream) or loaded: paint, and stick to the bottom when following. */
  linesChanged(): void {
    this.updateSpacer();
    if (this.follow) this.viewport.scrollTop = this.viewport.scrollHeight;
    this.schedule(true);
  }

  schedule(force: boolean): void {
    if (force) this.lastKey = '';
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.paint();
    });
  }

  private updateSpacer(): void {
    this.spacer.style.height = `${Math.ceil(this.rows * LH * this.scale)}px`;
  }

  private paint(): void {
    this.updateSpacer();
    const v = this.viewport;
    const scale = this.scale;
    const firstVisible = Math.floor(v.scrollTop / (LH * scale));
    const first = Math.max(0, firstVisible - OVERSCAN);
    const count = Math.ceil(v.clientHeight / LH) + 2 * OVERSCAN;
    const last = Math.min(this.rows, first + count);
    const key = `${first}:${last}:${this.rows}`;
    if (key === this.lastKey) return;
    const frag = document.createDocumentFragment();
    let missing = false;
    for (let row = first; row < last; row++) {
      const seq = this.rowToSeq(row);
      const line = this.source.get(seq);
      if (!line) {
        missing = true;
        this.source.want(seq);
      }
      frag.append(this.renderRow(seq, line));
    }
    this.layer.replaceChildren(frag);
    // Rows sit at their exact place in the (possibly scaled) spacer.
    this.layer.style.transform = `translateY(${Math.round(first * LH * scale + (firstVisible - first) * LH * (scale - 1))}px)`;
    this.lastKey = missing ? '' : key;
    this.onPaint?.();
  }

  private renderRow(seq: number, line: Line | undefined): HTMLElement {
    const row = el('div', `ln${line ? ` ${line.stream}` : ' loading'}`);
    row.dataset.seq = String(seq);
    row.id = `L${seq}`;
    const n = el('a', 'n', String(seq));
    n.href = `#L${seq}`;
    row.append(n);
    if (this.timestamps) row.append(el('span', 'ts', line ? new Date(line.ts).toISOString().slice(11, 23) : ''));
    const t = el('span', 't');
    row.append(t);
    if (!line) return row;
    const group = GROUP.exec(line.text);
    if (group) {
      row.classList.add('group');
      const folded = this.folds.some((f) => f.start === seq + 1);
      const toggle = el('button', 'fold', folded ? '▸' : '▾');
      toggle.type = 'button';
      toggle.setAttribute('aria-expanded', String(!folded));
      toggle.title = folded ? 'Show this group' : 'Fold this group';
      t.append(toggle, el('span', 'group-name', group[1]));
    } else if (END_GROUP.test(line.text)) {
      row.classList.add('endgroup');
    } else {
      for (const s of ansiSpans(line.text)) {
        const q = this.query;
        if (!s.cls && !s.color && !s.background && q) t.append(...highlight(s.text, q));
        else {
          const span = el('span', s.cls, s.text);
          if (s.color) span.style.color = s.color;
          if (s.background) span.style.backgroundColor = s.background;
          t.append(span);
        }
      }
    }
    if (this.query && line.text.toLowerCase().includes(this.query.toLowerCase())) row.classList.add('hit');
    if (seq === this.current) row.classList.add('current');
    if (seq === this.target) row.classList.add('target');
    return row;
  }

  /** Folds or unfolds the group whose header is `seq`, reading ahead to find its end. */
  async toggleFold(seq: number): Promise<void> {
    const open = this.folds.findIndex((f) => f.start === seq + 1);
    if (open >= 0) {
      this.setFolds(this.folds.filter((_, i) => i !== open));
      this.schedule(true);
      return;
    }
    let depth = 0;
    for (let s = seq + 1; s <= this.source.total; s++) {
      let line = this.source.get(s);
      if (!line) {
        await this.source.ensure(s);
        line = this.source.get(s);
        if (!line) return;
      }
      if (GROUP.test(line.text)) depth++;
      else if (END_GROUP.test(line.text)) {
        if (depth === 0) {
          // Folds inside this one go: their rows are hidden by it now.
          this.setFolds([...this.folds.filter((f) => f.start < seq + 1 || f.end > s), { start: seq + 1, end: s }].sort((a, b) => a.start - b.start));
          this.schedule(true);
          return;
        }
        depth--;
      }
    }
  }

  /** Next (or previous) line containing the query, reading the log in big ranges; wraps once. */
  async find(direction: 1 | -1, onProgress: (seq: number) => void): Promise<number | null> {
    const q = this.query.toLowerCase();
    if (!q) return null;
    const total = this.source.total;
    const STEP = 10_000;
    let from = this.current ? this.current + direction : direction === 1 ? 1 : total;
    for (let pass = 0; pass < 2; pass++) {
      while (from >= 1 && from <= total) {
        const start = direction === 1 ? from : Math.max(1, from - STEP + 1);
        const lines = await this.source.range(start, STEP);
        if (!lines.length) break;
        const ordered = direction === 1 ? lines : lines.slice().reverse();
        for (const l of ordered) {
          if ((direction === 1 ? l.seq < from : l.seq > from)) continue;
          if (l.text.toLowerCase().includes(q)) {
            this.scrollToSeq(l.seq, 'current');
            return l.seq;
          }
        }
        from = direction === 1 ? lines[lines.length - 1]!.seq + 1 : start - 1;
        onProgress(from);
      }
      from = direction === 1 ? 1 : total;
    }
    return null;
  }
}

function highlight(text: string, q: string): Node[] {
  const out: Node[] = [];
  const lower = text.toLowerCase();
  const ql = q.toLowerCase();
  let i = 0;
  for (let at = lower.indexOf(ql); at >= 0; at = lower.indexOf(ql, at + ql.length)) {
    if (at > i) out.push(document.createTextNode(text.slice(i, at)));
    out.push(el('mark', '', text.slice(at, at + ql.length)));
    i = at + ql.length;
  }
  if (i < text.length) out.push(document.createTextNode(text.slice(i)));
  return out;
}
