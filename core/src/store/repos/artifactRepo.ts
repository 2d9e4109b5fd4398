import type { Database } from 'better-sqlite3';
import type { ArtifactRecord } from '../records.js';

interface Row {
  run_id: string;
  job_id: string;
  name: string;
  blob_id: string;
  size: number;
  created_at: number;
  expires_at: number;
}

const toRecord = (r: Row): ArtifactRecord => ({
  runId: r.run_id,
  jobId: r.job_id,
  name: r.name,
  blobId: r.blob_id,
  size: r.size,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
});

export interface NewArtifact {
  runId: string;
  jobId: string;
  name: string;
  blobId: string;
  size: number;
  /** Default: now. */
  createdAt?: number;
  expiresAt: number;
}

/** The artifacts of each run (the bytes live in Storage); one row per (run, name). */
export class ArtifactRepo {
  constructor(
    private readonly db: Database,
    private readonly now: () => number,
  ) {}

  /** Adds an artifact; false (nothing written) when the run already has one of that name. */
  insert(input: NewArtifact): boolean {
    const info = this.db
      .prepare(
        `INSERT INTO run_artifacts (run_id, job_id, name, blob_id, size, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (run_id, name) DO NOTHING`,
      )
      .run(input.runId, input.jobId, input.name, input.blobId, input.size, input.createdAt ?? this.now(), input.expiresAt);
    return info.changes === 1;
  }

  /**
   * Adds or replaces (actions/upload-artifact `overwrite: true`). Returns the replaced artifact, whose
   * blob the caller removes from Storage once this committed.
   */
  replace(input: NewArtifact): ArtifactRecord | null {
    return this.db.transaction(() => {
      const old = this.get(input.runId, input.name, 0) ?? null;
      this.db
        .prepare(
          `INSERT INTO run_artifacts (run_id, job_id, name, blob_id, size, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (run_id, name) DO UPDATE SET job_id = excluded.job_id, blob_id = excluded.blob_id, size = excluded.size,
             created_at = excluded.created_at, expires_at = excluded.expires_at`,
        )
        .run(input.runId, input.jobId, input.name, input.blobId, input.size, input.createdAt ?? this.now(), input.expiresAt);
      return old;
    })();
  }

  /** The artifact unless it expired before `at` (default now). */
  get(runId: string, name: string, at: number = this.now()): ArtifactRecord | undefined {
    const row = this.db.prepare('SELECT * FROM run_artifacts WHERE run_id = ? AND name = ? AND expires_at > ?').get(runId, name, at) as Row | undefined;
    return row && toRecord(row);
  }

  /** The run's artifacts that have not expired, by name. */
  list(runId: string): ArtifactRecord[] {
    return (this.db.prepare('SELECT * FROM run_artifacts WHERE run_id = ? AND expires_at > ? ORDER BY name').all(runId, this.now()) as Row[]).map(toRecord);
  }

  /** Up to `limit` artifacts expired at `at`, oldest expiry first (retention pruning). */
  listExpired(at: number, limit: number): ArtifactRecord[] {
    return (this.db.prepare('SELECT * FROM run_artifacts WHERE expires_at <= ? ORDER BY expires_at LIMIT ?').all(at, limit) as Row[]).map(toRecord);
  }

  /** Removes the row if it still points at `blobId` (a concurrent overwrite keeps its new row). */
  delete(runId: string, name: string, blobId: string): boolean {
    return this.db.prepare('DELETE FROM run_artifacts WHERE run_id = ? AND name = ? AND blob_id = ?').run(runId, name, blobId).changes === 1;
  }

  /** Every blob id an artifact row references (the reconciler keeps these). */
  blobIds(): Set<string> {
    return new Set(this.db.prepare('SELECT blob_id FROM run_artifacts').pluck().all() as string[]);
  }
}
