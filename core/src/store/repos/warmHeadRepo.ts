import type { Database } from 'better-sqlite3';

/** What a warm head is the head of; `ref` is the branch (`refs/heads/…`). */
export interface WarmHeadKey {
  /** The Storage instance holding it. */
  storage: string;
  /** `<forge>/<owner>/<name>` (lower case), `local/<clone url>` for `helios run`. */
  repoKey: string;
  ref: string;
  /** JobPlan.id: workflow file, job key and matrix values. */
  jobKey: string;
  /** The warm paths, JSON: directory `i` of the head holds path `i`. */
  pathsKey: string;
}

export interface WarmHeadRecord extends WarmHeadKey {
  headId: string;
  /** The job whose warm volume became this head. */
  jobId: string;
  createdAt: number;
  usedAt: number;
}

interface Row {
  storage: string;
  repo_key: string;
  ref: string;
  job_key: string;
  paths_key: string;
  head_id: string;
  job_id: string;
  created_at: number;
  used_at: number;
}

const toRecord = (r: Row): WarmHeadRecord => ({
  storage: r.storage,
  repoKey: r.repo_key,
  ref: r.ref,
  jobKey: r.job_key,
  pathsKey: r.paths_key,
  headId: r.head_id,
  jobId: r.job_id,
  createdAt: r.created_at,
  usedAt: r.used_at,
});

/** The index of warm heads (migration 006): which frozen warm volume each branch's job starts from. */
export class WarmHeadRepo {
  constructor(
    private readonly db: Database,
    private readonly now: () => number,
  ) {}

  /** The head of the first of `refs` that has one for this job (scope order), marked as used; null if none. */
  find(key: Omit<WarmHeadKey, 'ref'>, refs: readonly string[]): WarmHeadRecord | null {
    const get = this.db.prepare<[string, string, string, string, string], Row>(
      'SELECT * FROM warm_heads WHERE storage = ? AND repo_key = ? AND ref = ? AND job_key = ? AND paths_key = ?',
    );
    for (const ref of refs) {
      const row = get.get(key.storage, key.repoKey, ref, key.jobKey, key.pathsKey);
      if (!row) continue;
      const usedAt = this.now();
      this.db.prepare('UPDATE warm_heads SET used_at = ? WHERE storage = ? AND head_id = ?').run(usedAt, row.storage, row.head_id);
      return toRecord({ ...row, used_at: usedAt });
    }
    return null;
  }

  /**
   * Makes `headId` the head of `key` and returns the head it replaced (null if none), in one
   * transaction: the caller removes the old one from the storage afterwards (a crash in between
   * leaves an orphan the reconciler removes, never a row without its head).
   */
  replace(key: WarmHeadKey, headId: string, jobId: string): string | null {
    return this.db.transaction(() => {
      const old = this.db
        .prepare<[string, string, string, string, string], { head_id: string }>('SELECT head_id FROM warm_heads WHERE storage = ? AND repo_key = ? AND ref = ? AND job_key = ? AND paths_key = ?')
        .get(key.storage, key.repoKey, key.ref, key.jobKey, key.pathsKey);
      const now = this.now();
      this.db
        .prepare(
          `INSERT INTO warm_heads (storage, repo_key, ref, job_key, paths_key, head_id, job_id, created_at, used_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (storage, repo_key, ref, job_key, paths_key) DO UPDATE SET head_id = excluded.head_id, job_id = excluded.job_id, created_at = excluded.created_at, used_at = excluded.used_at`,
        )
        .run(key.storage, key.repoKey, key.ref, key.jobKey, key.pathsKey, headId, jobId, now, now);
      return old && old.head_id !== headId ? old.head_id : null;
    })();
  }

  /** Every head id of `storage` that a row points at: the live heads the reconciler keeps. */
  headIds(storage: string): Set<string> {
    const rows = this.db.prepare<[string], { head_id: string }>('SELECT head_id FROM warm_heads WHERE storage = ?').all(storage);
    return new Set(rows.map((r) => r.head_id));
  }

  list(storage?: string): WarmHeadRecord[] {
    const rows = storage === undefined
      ? this.db.prepare<[], Row>('SELECT * FROM warm_heads ORDER BY repo_key, ref, job_key').all()
      : this.db.prepare<[string], Row>('SELECT * FROM warm_heads WHERE storage = ? ORDER BY repo_key, ref, job_key').all(storage);
    return rows.map(toRecord);
  }
}
