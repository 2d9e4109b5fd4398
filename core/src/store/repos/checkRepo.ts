import type { Database, Statement } from 'better-sqlite3';
import { HeliosError, type CheckHandle, type CheckJob } from '@helios-ci/sdk';
import type { CheckRecord, CheckState } from '../records.js';

interface Row {
  id: string;
  job_id: string | null;
  forge: string;
  budget_key: string;
  check_job_json: string;
  handle_json: string | null;
  state: CheckState;
  created_at: number;
  updated_at: number;
}

const toRecord = (r: Row): CheckRecord => ({
  id: r.id,
  jobId: r.job_id,
  forge: r.forge,
  budgetKey: r.budget_key,
  checkJob: JSON.parse(r.check_job_json) as CheckJob,
  handle: r.handle_json === null ? null : (JSON.parse(r.handle_json) as CheckHandle),
  state: r.state,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/**
 * Forge checks: what was asked for (CheckJob) and, once the forge answered openCheck, its handle —
 * persisted so that after a restart the outbox keeps updating the same check, never a second one.
 */
export class CheckRepo {
  private readonly byId: Statement;
  private byJobStmt: Statement | null = null;

  constructor(
    private readonly db: Database,
    private readonly now: () => number,
  ) {
    this.byId = db.prepare('SELECT * FROM checks WHERE id = ?');
  }

  create(input: { id: string; jobId: string | null; forge: string; budgetKey: string; checkJob: CheckJob }): CheckRecord {
    const t = this.now();
    try {
      this.db
        .prepare(`INSERT INTO checks (id, job_id, forge, budget_key, check_job_json, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'opening', ?, ?)`)
        .run(input.id, input.jobId, input.forge, input.budgetKey, JSON.stringify(input.checkJob), t, t);
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
        throw new HeliosError('E_CHECK_EXISTS', `a check with id ${input.id} already exists; each job opens its check once`, { facts: { checkId: input.id } });
      }
      throw err;
    }
    return this.get(input.id)!;
  }

  get(id: string): CheckRecord | undefined {
    const row = this.byId.get(id) as Row | undefined;
    return row && toRecord(row);
  }

  require(id: string): CheckRecord {
    const check = this.get(id);
    if (!check) throw new HeliosError('E_CHECK_NOT_FOUND', `check ${id} does not exist; open it with Reporter.jobQueued() first`, { facts: { checkId: id } });
    return check;
  }

  /** The check of a job (the reporter uses the job id as the check id, so this is usually get(jobId)). */
  byJob(jobId: string): CheckRecord | undefined {
    const row = (this.byJobStmt ??= this.db.prepare('SELECT * FROM checks WHERE job_id = ? ORDER BY created_at DESC LIMIT 1')).get(jobId) as Row | undefined;
    return row && toRecord(row);
  }

  setHandle(id: string, handle: CheckHandle): void {
    this.db.prepare("UPDATE checks SET handle_json = ?, state = 'open', updated_at = ? WHERE id = ?").run(JSON.stringify(handle), this.now(), id);
  }

  markClosed(id: string): void {
    this.db.prepare("UPDATE checks SET state = 'closed', updated_at = ? WHERE id = ?").run(this.now(), id);
  }

  /** Checks not closed yet (reconciliation finalises those of jobs that died with the process). */
  listUnclosed(): CheckRecord[] {
    return (this.db.prepare("SELECT * FROM checks WHERE state != 'closed' ORDER BY created_at").all() as Row[]).map(toRecord);
  }
}
