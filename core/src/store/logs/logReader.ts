import type { Database } from 'better-sqlite3';
import type { LogLine } from '../records.js';
import type { LogChunkRepo, LogChunkRow } from '../repos/logChunkRepo.js';
import type { LogRepo } from '../repos/logRepo.js';
import { decodeChunk } from './logChunkCodec.js';

/** Decoded chunks kept for the next read: an SSE stream or a pager reads one chunk over several pages. */
const CACHED_CHUNKS = 8;

/** The one line a log removed by retention reads as (seq 1), so every view says why it is empty. */
export function removedLogNotice(prunedAt: number, reason: string | null): string {
  return `[helios] log removed by retention on ${new Date(prunedAt).toISOString().slice(0, 10)}${reason ? ` (${reason})` : ''}`;
}

/**
 * Reads a job log by line number whatever its form: line rows while the job is live (and for lines
 * written after a compaction), compressed chunks once it finished, or the retention notice once it
 * was removed. Every log consumer (REST API, SSE, pages, the check-run tail, `helios run`) reads
 * through this, never through the tables. A read touches only the chunks that hold the lines asked
 * for. Lines up to the last chunk's seq come from chunks only: rows at or below it are dead (their
 * compaction committed; LogCompactor deletes them in batches after), so no line is read twice. A
 * read is chunks up to the last compacted seq, then rows above it. Each read is one SQLite read transaction, so it
 * sees one state even if another process compacts or prunes meanwhile.
 */
export class LogReader {
  private readonly cache = new Map<string, LogLine[]>();
  private readonly readTx: <T>(fn: () => T) => T;

  constructor(
    db: Database,
    private readonly rows: LogRepo,
    private readonly chunks: LogChunkRepo,
  ) {
    this.readTx = <T>(fn: () => T): T => (db.inTransaction ? fn() : db.transaction(fn).deferred());
  }

  /** Lines with seq ≥ `from` (default 1), in order, at most `limit` (default 10,000). */
  read(jobId: string, options: { from?: number; limit?: number } = {}): LogLine[] {
    const from = Math.max(1, options.from ?? 1);
    const limit = options.limit ?? 10_000;
    if (limit <= 0) return [];
    return this.readTx(() => {
      const removed = this.removedNotice(jobId);
      if (removed) return from <= 1 ? [removed] : [];
      const out: LogLine[] = [];
      const chunkEnd = this.chunks.lastSeq(jobId);
      if (from <= chunkEnd) {
        for (const row of this.chunks.forward(jobId, from)) {
          if (row.last_seq < from) continue;
          for (const line of this.linesOf(jobId, row)) {
            if (line.seq < from) continue;
            out.push(line);
            if (out.length === limit) return out;
          }
        }
      }
      return out.concat(this.rows.read(jobId, { from: Math.max(from, chunkEnd + 1), limit: limit - out.length }));
    });
  }

  /** Lines with seq < `before`, newest first, at most `limit` (tails without reading the whole log). */
  readBackward(jobId: string, before: number, limit: number): LogLine[] {
    if (limit <= 0) return [];
    return this.readTx(() => {
      const removed = this.removedNotice(jobId);
      if (removed) return before > 1 ? [removed] : [];
      const chunkEnd = this.chunks.lastSeq(jobId);
      const out = this.rows.readBackward(jobId, before, limit).filter((l) => l.seq > chunkEnd);
      if (out.length === limit || chunkEnd === 0) return out;
      // Rows all lie above the chunks, so what is still missing is below both.
      const below = Math.min(before, chunkEnd + 1);
      for (const row of this.chunks.backward(jobId, below)) {
        const lines = this.linesOf(jobId, row);
        for (let i = lines.length - 1; i >= 0; i--) {
          if (lines[i]!.seq >= below) continue;
          out.push(lines[i]!);
          if (out.length === limit) return out;
        }
      }
      return out;
    });
  }

  /** The last seq (0 when the job has no log; 1 for a log removed by retention: its notice). */
  lastSeq(jobId: string): number {
    return this.readTx(() => {
      if (this.chunks.archive(jobId)?.prunedAt != null) return 1;
      return Math.max(this.rows.lastSeq(jobId), this.chunks.lastSeq(jobId));
    });
  }

  /** When and why retention removed this job's log, or null when it is still there (or never existed). */
  removal(jobId: string): { at: number; reason: string | null } | null {
    const a = this.chunks.archive(jobId);
    return a?.prunedAt != null ? { at: a.prunedAt, reason: a.prunedReason } : null;
  }

  private removedNotice(jobId: string): LogLine | null {
    const r = this.removal(jobId);
    return r ? { jobId, seq: 1, step: 0, stream: 'system', ts: r.at, text: removedLogNotice(r.at, r.reason) } : null;
  }

  private linesOf(jobId: string, row: LogChunkRow): LogLine[] {
    const key = `${jobId}\u0000${row.first_seq}`;
    let lines = this.cache.get(key);
    if (lines) {
      // Refresh its place: the map's order is the eviction order.
      this.cache.delete(key);
    } else {
      lines = decodeChunk(jobId, row.first_seq, row.data);
    }
    this.cache.set(key, lines);
    if (this.cache.size > CACHED_CHUNKS) this.cache.delete(this.cache.keys().next().value!);
    return lines;
  }

  /** Drops cached chunks of a job (its chunks were pruned). */
  forget(jobId: string): void {
    for (const key of this.cache.keys()) if (key.startsWith(`${jobId}\u0000`)) this.cache.delete(key);
  }
}
