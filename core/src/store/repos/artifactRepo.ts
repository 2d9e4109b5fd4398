import type { Database } from 'better-sqlite3';
import type { ArtifactRecord } from '../records.js';

interface Row {
  job_id: string;
  name: string;
  size: number;
  storage_id: string | null;
  created_at: number;
}

const toRecord = (r: Row): ArtifactRecord => ({ jobId: r.job_id, name: r.name, size: r.size, storageId: r.storage_id, createdAt: r.created_at });

/** Which artifacts a job uploaded (the bytes live in Storage); one row per (job, name). */
export class ArtifactRepo {
  constructor(
    private readonly db: Database,
    private readonly now: () => number,
  ) {}

  /** Records an upload; uploading the same name again replaces the record (actions/upload-artifact overwrite). */
  put(input: { jobId: string; name: string; size: number; storageId?: string | null }): ArtifactRecord {
    this.db
      .prepare(
        `INSERT INTO artifacts (job_id, name, size, storage_id, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (job_id, name) DO UPDATE SET size = excluded.size, storage_id = excluded.storage_id, created_at = excluded.created_at`,
      )
      .run(input.jobId, input.name, input.size, input.storageId ?? null, this.now());
    return this.get(input.jobId, input.name)!;
  }

  get(jobId: string, name: string): ArtifactRecord | undefined {
    const row = this.db.prepare('SELECT * FROM artifacts WHERE job_id = ? AND name = ?').get(jobId, name) as Row | undefined;
    return row && toRecord(row);
  }

  list(jobId: string): ArtifactRecord[] {
    return (this.db.prepare('SELECT * FROM artifacts WHERE job_id = ? ORDER BY name').all(jobId) as Row[]).map(toRecord);
  }
}
