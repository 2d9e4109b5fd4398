import type { Database, Statement } from 'better-sqlite3';

/** One compressed chunk of a job's log (bytes: store/logs/logChunkCodec.ts). */
export interface LogChunkRow {
  first_seq: number;
  last_seq: number;
  lines: number;
  raw_bytes: number;
  data: Buffer;
}

export interface NewLogChunk {
  firstSeq: number;
  lastSeq: number;
  lines: number;
  rawBytes: number;
  data: Buffer;
}

/** What is known of a compacted job log; `prunedAt` once retention removed it. */
export interface LogArchiveRecord {
  jobId: string;
  repoKey: string;
  lines: number;
  rawBytes: number;
  storedBytes: number;
  finishedAt: number;
  compactedAt: number;
  prunedAt: number | null;
  prunedReason: string | null;
}

interface ArchiveRow {
  job_id: string;
  repo_key: string;
  lines: number;
  raw_bytes: number;
  stored_bytes: number;
  finished_at: number;
  compacted_at: number;
  pruned_at: number | null;
  pruned_reason: string | null;
}

const toArchive = (r: ArchiveRow): LogArchiveRecord => ({
  jobId: r.job_id,
  repoKey: r.repo_key,
  lines: r.lines,
  rawBytes: r.raw_bytes,
  storedBytes: r.stored_bytes,
  finishedAt: r.finished_at,
  compactedAt: r.compacted_at,
  prunedAt: r.pruned_at,
  prunedReason: r.pruned_reason,
});

/**
 * The tables of compacted logs (migration 5): `log_chunks` and `log_archives`. Plain SQL only; the
 * compactor, the reader and retention put the meaning on it. Statements are prepared lazily: a store
 * opened at an older schema (tests) has no such tables, and `available()` says so.
 */
export class LogChunkRepo {
  private readonly stmts = new Map<string, Statement>();
  private present: boolean | undefined;

  constructor(private readonly db: Database) {}

  private stmt(sql: string): Statement {
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.stmts.set(sql, s);
    }
    return s;
  }

  /** False on a store migrated only up to before migration 5. */
  available(): boolean {
    return (this.present ??= this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'log_chunks'").get() !== undefined);
  }

  /** The last seq held in chunks (0 when none). */
  lastSeq(jobId: string): number {
    if (!this.available()) return 0;
    return (this.stmt('SELECT max(last_seq) FROM log_chunks WHERE job_id = ?').pluck().get(jobId) as number | null) ?? 0;
  }

  /** Chunks from the one holding `seq` (or the first after it) on, in order; stop iterating early when done. */
  *forward(jobId: string, seq: number): Generator<LogChunkRow> {
    const start = (this.stmt('SELECT first_seq FROM log_chunks WHERE job_id = ? AND first_seq <= ? ORDER BY first_seq DESC LIMIT 1').pluck().get(jobId, seq) as number | undefined) ?? seq;
    yield* this.stmt('SELECT first_seq, last_seq, lines, raw_bytes, data FROM log_chunks WHERE job_id = ? AND first_seq >= ? ORDER BY first_seq').iterate(jobId, start) as IterableIterator<LogChunkRow>;
  }

  /** Chunks holding a seq below `before`, newest first. */
  backward(jobId: string, before: number): IterableIterator<LogChunkRow> {
    return this.stmt('SELECT first_seq, last_seq, lines, raw_bytes, data FROM log_chunks WHERE job_id = ? AND first_seq < ? ORDER BY first_seq DESC').iterate(jobId, before) as IterableIterator<LogChunkRow>;
  }

  insert(jobId: string, chunk: NewLogChunk): void {
    this.stmt('INSERT INTO log_chunks (job_id, first_seq, last_seq, lines, raw_bytes, data) VALUES (?, ?, ?, ?, ?, ?)').run(jobId, chunk.firstSeq, chunk.lastSeq, chunk.lines, chunk.rawBytes, chunk.data);
  }

  /** Adds a compaction's totals to the job's archive row (a later compaction of late lines adds to it). */
  addToArchive(jobId: string, totals: { repoKey: string; lines: number; rawBytes: number; storedBytes: number; finishedAt: number; now: number }): void {
    this.stmt(
      `INSERT INTO log_archives (job_id, repo_key, lines, raw_bytes, stored_bytes, finished_at, compacted_at) VALUES (@jobId, @repoKey, @lines, @rawBytes, @storedBytes, @finishedAt, @now)
       ON CONFLICT (job_id) DO UPDATE SET lines = lines + excluded.lines, raw_bytes = raw_bytes + excluded.raw_bytes,
         stored_bytes = stored_bytes + excluded.stored_bytes, compacted_at = excluded.compacted_at`,
    ).run({ jobId, ...totals });
  }

  archive(jobId: string): LogArchiveRecord | undefined {
    if (!this.available()) return undefined;
    const row = this.stmt('SELECT * FROM log_archives WHERE job_id = ?').get(jobId) as ArchiveRow | undefined;
    return row ? toArchive(row) : undefined;
  }

  /** Kept (not pruned) archives finished before `before`, oldest first. */
  keptFinishedBefore(before: number): LogArchiveRecord[] {
    return (this.stmt('SELECT * FROM log_archives WHERE pruned_at IS NULL AND finished_at < ? ORDER BY finished_at, job_id').all(before) as ArchiveRow[]).map(toArchive);
  }

  /** Repositories whose kept logs take more than `budget` stored bytes, with their totals. */
  reposOver(budget: number): { repoKey: string; storedBytes: number }[] {
    return (
      this.stmt('SELECT repo_key AS repoKey, sum(stored_bytes) AS storedBytes FROM log_archives WHERE pruned_at IS NULL GROUP BY repo_key HAVING sum(stored_bytes) > ? ORDER BY repo_key').all(budget) as {
        repoKey: string;
        storedBytes: number;
      }[]
    );
  }

  /** A repository's kept archives, oldest first. */
  keptOf(repoKey: string): LogArchiveRecord[] {
    return (this.stmt('SELECT * FROM log_archives WHERE pruned_at IS NULL AND repo_key = ? ORDER BY finished_at, job_id').all(repoKey) as ArchiveRow[]).map(toArchive);
  }

  /** Deletes a job's chunks and marks its archive pruned (call inside a transaction with the row delete). */
  prune(jobId: string, at: number, reason: string): void {
    this.stmt('DELETE FROM log_chunks WHERE job_id = ?').run(jobId);
    this.stmt('UPDATE log_archives SET pruned_at = ?, pruned_reason = ? WHERE job_id = ? AND pruned_at IS NULL').run(at, reason, jobId);
  }
}
