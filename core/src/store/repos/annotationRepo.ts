import type { Database } from 'better-sqlite3';
import type { Annotation } from '@helios-ci/sdk';

/** Annotations a job produced (`::error file=..::`), in order; the run record and degraded summaries read them. */
export class AnnotationRepo {
  constructor(private readonly db: Database) {}

  add(jobId: string, annotations: readonly Annotation[]): void {
    const insert = this.db.prepare('INSERT INTO annotations (job_id, seq, json) VALUES (?, ?, ?)');
    this.db.transaction(() => {
      let seq = ((this.db.prepare('SELECT max(seq) FROM annotations WHERE job_id = ?').pluck().get(jobId) as number | null) ?? 0) + 1;
      for (const a of annotations) insert.run(jobId, seq++, JSON.stringify(a));
    })();
  }

  count(jobId: string): number {
    return this.db.prepare('SELECT count(*) FROM annotations WHERE job_id = ?').pluck().get(jobId) as number;
  }

  list(jobId: string): Annotation[] {
    return (this.db.prepare('SELECT json FROM annotations WHERE job_id = ? ORDER BY seq').pluck().all(jobId) as string[]).map((j) => JSON.parse(j) as Annotation);
  }
}
