import type { Database } from 'better-sqlite3';
import { HeliosError, type RepoRef } from '@helios-ci/sdk';

export type ApprovalState = 'pending' | 'approved' | 'superseded';

export interface ApprovalRecord {
  id: string;
  forge: string;
  repo: RepoRef;
  prNumber: number;
  headSha: string;
  inboxId: number;
  state: ApprovalState;
  decidedBy: string | null;
  runId: string | null;
  /** Set for a job held for its deployment environment's approval (prNumber is then 0). */
  jobId: string | null;
  environment: string | null;
  createdAt: number;
  updatedAt: number;
}

interface Row {
  id: string;
  forge: string;
  repo_json: string;
  pr_number: number;
  head_sha: string;
  inbox_id: number;
  state: ApprovalState;
  decided_by: string | null;
  run_id: string | null;
  job_id: string | null;
  environment: string | null;
  created_at: number;
  updated_at: number;
}

const toRecord = (r: Row): ApprovalRecord => ({
  id: r.id,
  forge: r.forge,
  repo: JSON.parse(r.repo_json) as RepoRef,
  prNumber: r.pr_number,
  headSha: r.head_sha,
  inboxId: r.inbox_id,
  state: r.state,
  decidedBy: r.decided_by,
  runId: r.run_id,
  jobId: r.job_id,
  environment: r.environment,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const repoKey = (repo: RepoRef) => `${repo.owner}/${repo.name}`.toLowerCase();

/** Fork pull requests held until a writer approves them; a newer push to the PR supersedes older holds. */
export class ApprovalRepo {
  constructor(
    private readonly db: Database,
    private readonly now: () => number,
  ) {}

  /** A new pending approval; older pending ones of the same PR become superseded (same transaction). */
  create(input: { id: string; forge: string; repo: RepoRef; prNumber: number; headSha: string; inboxId: number }): { record: ApprovalRecord; superseded: ApprovalRecord[] } {
    return this.db.transaction(() => {
      const superseded = this.pendingFor(input.forge, input.repo, input.prNumber);
      const t = this.now();
      this.db.prepare("UPDATE approvals SET state = 'superseded', updated_at = ? WHERE forge = ? AND repo_key = ? AND pr_number = ? AND job_id IS NULL AND state = 'pending'").run(t, input.forge, repoKey(input.repo), input.prNumber);
      this.db
        .prepare(`INSERT INTO approvals (id, forge, repo_json, repo_key, pr_number, head_sha, inbox_id, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`)
        .run(input.id, input.forge, JSON.stringify(input.repo), repoKey(input.repo), input.prNumber, input.headSha, input.inboxId, t, t);
      return { record: this.get(input.id)!, superseded };
    })();
  }

  /**
   * Holds one job for its environment's approval; idempotent (the existing row of the job is
   * returned). Never supersedes anything: it is no pull request's hold.
   */
  holdJob(input: { id: string; forge: string; repo: RepoRef; headSha: string; inboxId: number; runId: string; jobId: string; environment: string }): ApprovalRecord {
    const t = this.now();
    this.db
      .prepare(`INSERT INTO approvals (id, forge, repo_json, repo_key, pr_number, head_sha, inbox_id, state, run_id, job_id, environment, created_at, updated_at) VALUES (?, ?, ?, ?, 0, ?, ?, 'pending', ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
      .run(input.id, input.forge, JSON.stringify(input.repo), repoKey(input.repo), input.headSha, input.inboxId, input.runId, input.jobId, input.environment, t, t);
    return this.forJob(input.jobId)!;
  }

  forJob(jobId: string): ApprovalRecord | undefined {
    const row = this.db.prepare('SELECT * FROM approvals WHERE job_id = ?').get(jobId) as Row | undefined;
    return row && toRecord(row);
  }

  get(id: string): ApprovalRecord | undefined {
    const row = this.db.prepare('SELECT * FROM approvals WHERE id = ?').get(id) as Row | undefined;
    return row && toRecord(row);
  }

  /** The newest pending approval of a pull request, if any. */
  latestPending(forge: string, repo: RepoRef, prNumber: number): ApprovalRecord | undefined {
    return this.pendingFor(forge, repo, prNumber)[0];
  }

  private pendingFor(forge: string, repo: RepoRef, prNumber: number): ApprovalRecord[] {
    const rows = this.db
      .prepare("SELECT * FROM approvals WHERE forge = ? AND repo_key = ? AND pr_number = ? AND job_id IS NULL AND state = 'pending' ORDER BY created_at DESC, rowid DESC")
      .all(forge, repoKey(repo), prNumber) as Row[];
    return rows.map(toRecord);
  }

  /** Marks a pending approval approved (compare-and-set: approving twice runs once). */
  approve(id: string, by: string, runId: string | null): ApprovalRecord {
    const info = this.db.prepare("UPDATE approvals SET state = 'approved', decided_by = ?, run_id = ?, updated_at = ? WHERE id = ? AND state = 'pending'").run(by, runId, this.now(), id);
    const record = this.get(id);
    if (!record) throw new HeliosError('E_APPROVAL_NOT_FOUND', `approval ${id} does not exist`);
    if (info.changes === 0) throw new HeliosError('E_APPROVAL_STATE', `approval ${id} is already ${record.state}${record.decidedBy ? ` (by ${record.decidedBy})` : ''}`);
    return record;
  }

  setRun(id: string, runId: string): void {
    this.db.prepare('UPDATE approvals SET run_id = ?, updated_at = ? WHERE id = ?').run(runId, this.now(), id);
  }

  list(state?: ApprovalState): ApprovalRecord[] {
    const rows = (state ? this.db.prepare('SELECT * FROM approvals WHERE state = ? ORDER BY created_at').all(state) : this.db.prepare('SELECT * FROM approvals ORDER BY created_at').all()) as Row[];
    return rows.map(toRecord);
  }
}
