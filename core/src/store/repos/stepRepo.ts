import type { Database, Statement } from 'better-sqlite3';
import { HeliosError } from '@helios-ci/sdk';
import type { StepConclusion, StepRecord, StepState } from '../records.js';

interface Row {
  job_id: string;
  idx: number;
  name: string;
  state: StepState;
  conclusion: StepConclusion | null;
  started_at: number | null;
  finished_at: number | null;
}

const toRecord = (r: Row): StepRecord => ({
  jobId: r.job_id,
  idx: r.idx,
  name: r.name,
  state: r.state,
  conclusion: r.conclusion,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
});

/** A job's steps (1-based idx): pending → running → completed with a conclusion. */
export class StepRepo {
  private readonly one: Statement;
  private readonly all: Statement;
  private readonly upsertStart: Statement;
  private readonly upsertFinish: Statement;

  constructor(
    private readonly db: Database,
    private readonly now: () => number,
  ) {
    this.one = db.prepare('SELECT * FROM steps WHERE job_id = ? AND idx = ?');
    // Prepared once: start/finish run twice per step of every job, on the agent's event path.
    this.upsertStart = db.prepare(
      `INSERT INTO steps (job_id, idx, name, state, started_at) VALUES (?, ?, ?, 'running', ?)
       ON CONFLICT (job_id, idx) DO UPDATE SET name = excluded.name, state = 'running', started_at = excluded.started_at`,
    );
    this.upsertFinish = db.prepare(
      `INSERT INTO steps (job_id, idx, name, state, conclusion, finished_at) VALUES (?, ?, ?, 'completed', ?, ?)
       ON CONFLICT (job_id, idx) DO UPDATE SET state = 'completed', conclusion = excluded.conclusion, finished_at = excluded.finished_at`,
    );
    this.all = db.prepare('SELECT * FROM steps WHERE job_id = ? ORDER BY idx');
  }

  /** Inserts `pending` rows for the planned steps (so a summary can show what is still to come). */
  declare(jobId: string, names: string[]): void {
    const insert = this.db.prepare("INSERT INTO steps (job_id, idx, name, state) VALUES (?, ?, ?, 'pending') ON CONFLICT DO NOTHING");
    this.db.transaction(() => names.forEach((name, i) => insert.run(jobId, i + 1, name)))();
  }

  start(jobId: string, idx: number, name: string): StepRecord {
    return this.db.transaction(() => {
      const cur = this.get(jobId, idx);
      if (cur && cur.state !== 'pending') throw this.stateError(jobId, idx, cur.state, 'running');
      this.upsertStart.run(jobId, idx, name, this.now());
      return this.get(jobId, idx)!;
    })();
  }

  /** Completes a step. A step that never started (skipped by `if`) may be finished directly. */
  finish(jobId: string, idx: number, conclusion: StepConclusion, name?: string): StepRecord {
    return this.db.transaction(() => {
      const cur = this.get(jobId, idx);
      if (cur?.state === 'completed') throw this.stateError(jobId, idx, cur.state, 'completed');
      if (!cur && name === undefined) throw new HeliosError('E_STEP_STATE', `step ${idx} of job ${jobId} was never declared or started; pass its name to finish() or start it first`);
      const t = this.now();
      this.upsertFinish.run(jobId, idx, name ?? cur!.name, conclusion, t);
      return this.get(jobId, idx)!;
    })();
  }

  /** Every step of the job back to pending: the job starts again on another host (its first host was lost). */
  restart(jobId: string): void {
    this.db.prepare("UPDATE steps SET state = 'pending', conclusion = NULL, started_at = NULL, finished_at = NULL WHERE job_id = ?").run(jobId);
  }

  get(jobId: string, idx: number): StepRecord | undefined {
    const row = this.one.get(jobId, idx) as Row | undefined;
    return row && toRecord(row);
  }

  list(jobId: string): StepRecord[] {
    return (this.all.all(jobId) as Row[]).map(toRecord);
  }

  private stateError(jobId: string, idx: number, from: StepState, to: StepState): HeliosError {
    return new HeliosError('E_STEP_STATE', `step ${idx} of job ${jobId} is ${from} and cannot become ${to}; each step starts once and finishes once`, { facts: { jobId, idx, from, to } });
  }
}
