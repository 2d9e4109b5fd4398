export interface Line {
  seq: number;
  step: number;
  stream: string;
  ts: number;
  text: string;
}

export const PAGE = 1000;
const MAX_PAGES = 120;

/**
 * The job log by line number, fetched in pages of 1,000 lines (`GET /api/jobs/:id/log?from=&limit=`)
 * as the view needs them and kept in a small LRU, so a million-line log costs the browser only the
 * pages near what is on screen. Streamed lines are written into their page too.
 */
export class LogSource {
  private readonly pages = new Map<number, (Line | undefined)[]>();
  private readonly loading = new Map<number, Promise<void>>();
  /** Pages that are complete (full, or the last one of a finished log). */
  private readonly complete = new Set<number>();
  total: number;

  constructor(
    private readonly jobId: string,
    total: number,
    private readonly onLoaded: () => void,
  ) {
    this.total = total;
  }

  get(seq: number): Line | undefined {
    const p = Math.floor((seq - 1) / PAGE);
    const page = this.pages.get(p);
    if (page) {
      this.pages.delete(p);
      this.pages.set(p, page);
    }
    return page?.[(seq - 1) % PAGE];
  }

  /** Starts loading the page holding `seq` unless it is there or on its way. */
  want(seq: number): void {
    if (seq < 1 || seq > this.total) return;
    const p = Math.floor((seq - 1) / PAGE);
    if ((this.pages.has(p) && this.isComplete(p)) || this.loading.has(p)) return;
    void this.load(p);
  }

  private isComplete(p: number): boolean {
    if (this.complete.has(p)) return true;
    const page = this.pages.get(p);
    const last = Math.min(PAGE, this.total - p * PAGE);
    for (let i = 0; i < last; i++) if (!page?.[i]) return false;
    return true;
  }

  /** Loads the page holding `seq` (resolves when it is in). */
  ensure(seq: number): Promise<void> {
    const p = Math.floor((seq - 1) / PAGE);
    if (this.pages.has(p) && this.isComplete(p)) return Promise.resolve();
    return this.loading.get(p) ?? this.load(p);
  }

  private load(p: number): Promise<void> {
    const job = (async () => {
      try {
        const res = await fetch(`/api/jobs/${encodeURIComponent(this.jobId)}/log?from=${p * PAGE + 1}&limit=${PAGE}`, { credentials: 'same-origin' });
        if (!res.ok) return;
        const body = (await res.json()) as { lines: Line[]; lastSeq: number };
        if (body.lastSeq > this.total) this.total = body.lastSeq;
        for (const l of body.lines) this.put(l);
        if (body.lines.length === PAGE) this.complete.add(p);
        this.onLoaded();
      } finally {
        this.loading.delete(p);
      }
    })();
    this.loading.set(p, job);
    return job;
  }

  put(l: Line): void {
    const p = Math.floor((l.seq - 1) / PAGE);
    let page = this.pages.get(p);
    if (!page) {
      page = [];
      this.pages.set(p, page);
      while (this.pages.size > MAX_PAGES) {
        const oldest = this.pages.keys().next().value!;
        this.pages.delete(oldest);
        this.complete.delete(oldest);
      }
    }
    page[(l.seq - 1) % PAGE] = l;
    if (l.seq > this.total) this.total = l.seq;
  }

  /** Reads lines [from, from+limit) straight from the API (search scans with bigger pages). */
  async range(from: number, limit: number): Promise<Line[]> {
    const res = await fetch(`/api/jobs/${encodeURIComponent(this.jobId)}/log?from=${from}&limit=${limit}`, { credentials: 'same-origin' });
    if (!res.ok) return [];
    return ((await res.json()) as { lines: Line[] }).lines;
  }
}
