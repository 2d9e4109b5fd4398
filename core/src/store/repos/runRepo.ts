import { randomUUID } from 'node:crypto';
import type { Database, Statement } from 'better-sqlite3';
import { HeliosError, type JobPlan, type RepoRef, type RunPlan } from '@helios-ci/sdk';
import type { JobRecord, RunConclusion, RunRecord, RunState } from '../records.js';
import type { JobRepo } from './jobRepo.js';

interface Row {
  id: string;
  inbox_id: number | null;
  forge: string | null;
  repo_json: string;
  sha: string;
  ref: string;
  event: string;
  trusted: number;
  state: RunState;
  conclusion: RunConclusion | null;
  created_at: number;
  finished_at: number | null;
}

/** Every column but plan_json: a run's plan (all its jobs' plans) is read once and kept (planOf). */
const COLUMNS = 'id, inbox_id, forge, repo_json, sha, ref, event, trusted, state, conclusion, created_at, finished_at';

/** Parsed plans kept: a plan never changes once stored, and one of a 1,000-job run is large. */
const PLAN_CACHE_SIZE = 64;

const toRecord = (r: Row, plan: RunPlan): RunRecord => ({
  id: r.id,
  inboxId: r.inbox_id,
  forge: r.forge,
  repo: JSON.parse(r.repo_json) as RepoRef,
  sha: r.sha,
  ref: r.ref,
  event: r.event,
  trusted: r.trusted === 1,
  plan,
  state: r.state,
  conclusion: r.conclusion,
  createdAt: r.created_at,
  finishedAt: r.finished_at,
});

export interface NewRun {
  /** Default: a random UUID. */
  id?: string;
  inboxId?: number | null;
  forge?: string | null;
  repo: RepoRef;
  sha: string;
  ref: string;
  event: string;
  trusted: boolean;
  plan: RunPlan;
  /** Job rows created (state queued) in the same transaction; default: one per plan job, ids random. */
  jobs?: { id?: string; plan: JobPlan }[];
}

/** Workflow runs: one per (delivery, matching workflows); created together with their jobs. */
export class RunRepo {
  private readonly byId: Statement;
  private readonly planById: Statement;
  private readonly plans = new Map<string, RunPlan>();

  constructor(
    private readonly db: Database,
    private readonly now: () => number,
    private readonly jobs: JobRepo,
  ) {
    this.byId = db.prepare(`SELECT ${COLUMNS} FROM runs WHERE id = ?`);
    this.planById = db.prepare('SELECT plan_json FROM runs WHERE id = ?').pluck();
  }

  /**
   * The run's plan, parsed once (the store never updates plan_json) and frozen, because every
   * caller now shares the object: a caller that changed it would change it for all.
   */
  private planOf(id: string): RunPlan {
    let plan = this.plans.get(id);
    if (plan) {
      this.plans.delete(id);
    } else {
      plan = deepFreeze(JSON.parse(this.planById.get(id) as string) as RunPlan);
      if (this.plans.size >= PLAN_CACHE_SIZE) this.plans.delete(this.plans.keys().next().value!);
    }
    this.plans.set(id, plan);
    return plan;
  }

  private record(r: Row): RunRecord {
    return toRecord(r, this.planOf(r.id));
  }

  /** Creates the run and its queued jobs in one transaction (a crash leaves neither). */
  create(input: NewRun): { run: RunRecord; jobs: JobRecord[] } {
    return this.db.transaction(() => {
      const id = input.id ?? randomUUID();
      this.plans.delete(id);
      this.db
        .prepare(
          `INSERT INTO runs (id, inbox_id, forge, repo_json, sha, ref, event, trusted, plan_json, state, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', ?)`,
        )
        .run(id, input.inboxId ?? null, input.forge ?? null, JSON.stringify(input.repo), input.sha, input.ref, input.event, input.trusted ? 1 : 0, JSON.stringify(input.plan), this.now());
      const specs: { id?: string; plan: JobPlan }[] = input.jobs ?? input.plan.jobs.map((plan) => ({ plan }));
      const jobs = specs.map((j) => this.jobs.create({ runId: id, plan: j.plan, ...(j.id ? { id: j.id } : {}) }));
      return { run: this.get(id)!, jobs };
    })();
  }

  get(id: string): RunRecord | undefined {
    const row = this.byId.get(id) as Row | undefined;
    return row && this.record(row);
  }

  /** Newest first; `before` (a createdAt) pages back. */
  list(options: { limit?: number; before?: number } = {}): RunRecord[] {
    const rows = this.db
      .prepare(`SELECT ${COLUMNS} FROM runs WHERE created_at < ? ORDER BY created_at DESC, id DESC LIMIT ?`)
      .all(options.before ?? Number.MAX_SAFE_INTEGER, options.limit ?? 50) as Row[];
    return rows.map((r) => this.record(r));
  }

  /**
   * Newest first, the page after run `afterId` (keyset on (createdAt, id), so runs created in the same
   * millisecond are neither skipped nor repeated across pages). Undefined when `afterId` does not exist.
   */
  listAfter(afterId: string | null, limit: number): RunRecord[] | undefined {
    if (afterId === null) return this.list({ limit });
    const cursor = this.get(afterId);
    if (!cursor) return undefined;
    const rows = this.db
      .prepare(`SELECT ${COLUMNS} FROM runs WHERE created_at < @c OR (created_at = @c AND id < @id) ORDER BY created_at DESC, id DESC LIMIT @limit`)
      .all({ c: cursor.createdAt, id: cursor.id, limit }) as Row[];
    return rows.map((r) => this.record(r));
  }

  /** Marks the run completed; throws E_RUN_STATE if it already is. */
  complete(id: string, conclusion: RunConclusion): RunRecord {
    const info = this.db.prepare("UPDATE runs SET state = 'completed', conclusion = ?, finished_at = ? WHERE id = ? AND state = 'running'").run(conclusion, this.now(), id);
    const run = this.get(id);
    if (!run) throw new HeliosError('E_RUN_NOT_FOUND', `run ${id} does not exist`);
    if (info.changes === 0) throw new HeliosError('E_RUN_STATE', `run ${id} is already completed (${run.conclusion}); a rerun creates new jobs`, { facts: { runId: id } });
    return run;
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
