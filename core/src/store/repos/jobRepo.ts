import { randomUUID } from 'node:crypto';
import type { Database, Statement } from 'better-sqlite3';
import { HeliosError, type JobPlan, type JobState } from '@helios-ci/sdk';
import type { JobRecord } from '../records.js';
import { assertTransition } from '../jobStateMachine.js';

interface Row {
  id: string;
  run_id: string;
  plan_id: string;
  name: string;
  plan_json: string;
  state: JobState;
  attempt: number;
  reason: string | null;
  outputs_json: string | null;
  created_at: number;
  provisioning_at: number | null;
  started_at: number | null;
  finished_at: number | null;
  updated_at: number;
}

const toRecord = (r: Row): JobRecord => ({
  id: r.id,
  runId: r.run_id,
  planId: r.plan_id,
  name: r.name,
  plan: JSON.parse(r.plan_json) as JobPlan,
  state: r.state,
  attempt: r.attempt,
  reason: r.reason,
  outputs: r.outputs_json === null ? null : (JSON.parse(r.outputs_json) as Record<string, string>),
  createdAt: r.created_at,
  provisioningAt: r.provisioning_at,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  updatedAt: r.updated_at,
});

export interface TransitionOptions {
  /** Why: kept on the job (`agent lost`, `step 2 exited 1`, `cancelled by alice`). */
  reason?: string;
  /** Job outputs (set when the job finishes). */
  outputs?: Record<string, string>;
}

/** States a job can still leave: the run is not done while one of its jobs is in one of them. */
const UNFINISHED_SQL = "('queued', 'provisioning', 'running')";

/** Jobs and their state machine (see jobStateMachine.ts). Each transition is one transaction. */
export class JobRepo {
  private readonly byId: Statement;
  private readonly insert: Statement;
  /** Prepared once per distinct SQL text: preparing is most of a small query's cost. */
  private readonly statements = new Map<string, Statement>();

  constructor(
    private readonly db: Database,
    private readonly now: () => number,
  ) {
    this.byId = db.prepare('SELECT * FROM jobs WHERE id = ?');
    this.insert = db.prepare(
      `INSERT INTO jobs (id, run_id, plan_id, name, plan_json, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'queued', ?, ?)`,
    );
  }

  /** A new job in state `queued`. Prefer RunRepo.create, which creates a run's jobs atomically. */
  create(input: { id?: string; runId: string; plan: JobPlan }): JobRecord {
    const id = input.id ?? randomUUID();
    const t = this.now();
    this.insert.run(id, input.runId, input.plan.id, input.plan.name, JSON.stringify(input.plan), t, t);
    return this.get(id)!;
  }

  get(id: string): JobRecord | undefined {
    const row = this.byId.get(id) as Row | undefined;
    return row && toRecord(row);
  }

  /** Like get, but a missing job is E_JOB_NOT_FOUND. */
  require(id: string): JobRecord {
    const job = this.get(id);
    if (!job) throw new HeliosError('E_JOB_NOT_FOUND', `job ${id} does not exist; check the id (jobs are listed under GET /api/runs/:id)`, { facts: { jobId: id } });
    return job;
  }

  private stmt(sql: string): Statement {
    let s = this.statements.get(sql);
    if (!s) this.statements.set(sql, (s = this.db.prepare(sql)));
    return s;
  }

  listByRun(runId: string): JobRecord[] {
    return (this.stmt('SELECT * FROM jobs WHERE run_id = ? ORDER BY created_at, rowid').all(runId) as Row[]).map(toRecord);
  }

  listByState(...states: JobState[]): JobRecord[] {
    if (states.length === 0) return [];
    const rows = this.stmt(`SELECT * FROM jobs WHERE state IN (${states.map(() => '?').join(', ')}) ORDER BY created_at, rowid`).all(...states) as Row[];
    return rows.map(toRecord);
  }

  /** A run's jobs that are queued, provisioning or running, in creation order (index jobs_run_state). */
  listUnfinishedByRun(runId: string): JobRecord[] {
    return (this.stmt(`SELECT * FROM jobs WHERE run_id = ? AND state IN ${UNFINISHED_SQL} ORDER BY created_at, rowid`).all(runId) as Row[]).map(toRecord);
  }

  /** True while one of the run's jobs is queued, provisioning or running: O(log n), reads no job. */
  hasUnfinished(runId: string): boolean {
    return this.stmt(`SELECT 1 FROM jobs WHERE run_id = ? AND state IN ${UNFINISHED_SQL} LIMIT 1`).get(runId) !== undefined;
  }

  /**
   * The instances of one job key of one workflow in a run (every matrix entry), in creation order;
   * `unfinishedOnly`: just those not final. Uses the expression index jobs_run_key_state.
   */
  listInstances(runId: string, workflowFile: string, jobKey: string, unfinishedOnly = false): JobRecord[] {
    const sql = `SELECT * FROM jobs WHERE run_id = ? AND json_extract(plan_json, '$.workflow.file') = ? AND json_extract(plan_json, '$.jobKey') = ?${unfinishedOnly ? ` AND state IN ${UNFINISHED_SQL}` : ''} ORDER BY created_at, rowid`;
    return (this.stmt(sql).all(runId, workflowFile, jobKey) as Row[]).map(toRecord);
  }

  /** True while an instance of the job key is not final (O(log n), reads no job). */
  hasUnfinishedInstance(runId: string, workflowFile: string, jobKey: string): boolean {
    const sql = `SELECT 1 FROM jobs WHERE run_id = ? AND json_extract(plan_json, '$.workflow.file') = ? AND json_extract(plan_json, '$.jobKey') = ? AND state IN ${UNFINISHED_SQL} LIMIT 1`;
    return this.stmt(sql).get(runId, workflowFile, jobKey) !== undefined;
  }

  /** How many of a run's jobs are in each state (states with no job are absent); reads no job. */
  countByStateInRun(runId: string): Partial<Record<JobState, number>> {
    const rows = this.stmt('SELECT state, count(*) AS n FROM jobs WHERE run_id = ? GROUP BY state').all(runId) as { state: JobState; n: number }[];
    return Object.fromEntries(rows.map((r) => [r.state, r.n]));
  }

  /** How many jobs are in each state (states with no job are absent). */
  countByState(): Partial<Record<JobState, number>> {
    const rows = this.stmt('SELECT state, count(*) AS n FROM jobs GROUP BY state').all() as { state: JobState; n: number }[];
    return Object.fromEntries(rows.map((r) => [r.state, r.n]));
  }

  /**
   * Moves a job to `to` in one transaction, compare-and-set on the state read inside it. Illegal
   * transitions (per jobStateMachine.ts) throw E_JOB_STATE and change nothing. Going back to
   * `queued` increments the attempt and clears the step rows. Timestamps: provisioningAt, startedAt (running), finishedAt.
   */
  transition(id: string, to: JobState, options: TransitionOptions = {}): JobRecord {
    return this.db.transaction(() => {
      const job = this.require(id);
      assertTransition(id, job.state, to);
      const t = this.now();
      const sets: string[] = ['state = @to', 'updated_at = @t'];
      if (to === 'provisioning') sets.push('provisioning_at = @t');
      if (to === 'running') sets.push('started_at = @t');
      if (to === 'queued') sets.push('attempt = attempt + 1', 'provisioning_at = NULL', 'started_at = NULL');
      if (to !== 'queued' && to !== 'provisioning' && to !== 'running') sets.push('finished_at = @t');
      if (options.reason !== undefined) sets.push('reason = @reason');
      if (options.outputs !== undefined) sets.push('outputs_json = @outputs');
      const info = this
        .stmt(`UPDATE jobs SET ${sets.join(', ')} WHERE id = @id AND state = @from`)
        .run({ id, to, t, from: job.state, reason: options.reason ?? null, outputs: options.outputs ? JSON.stringify(options.outputs) : null });
      if (info.changes !== 1) throw new HeliosError('E_JOB_STATE', `job ${id} changed state concurrently; re-read it and retry`, { facts: { jobId: id } });
      // A re-queued job runs its steps again; the log stays (append-only) as the record of the lost attempt.
      if (to === 'queued') this.stmt('DELETE FROM steps WHERE job_id = ?').run(id);
      return this.get(id)!;
    })();
  }
}
