import type { RunRecord, Store } from '../../store/index.js';

export interface RunFilter {
  repository?: string | undefined;
  branch?: string | undefined;
  event?: string | undefined;
  /** queued/running (unfinished) or a conclusion (success, failure, cancelled, ...). */
  status?: string | undefined;
}

const STATUSES = ['running', 'success', 'failure', 'cancelled', 'skipped', 'timed_out', 'action_required', 'neutral'] as const;
export const RUN_STATUSES: readonly string[] = STATUSES;

/** Filter values from a query string; anything malformed is dropped (a filter, not an error). */
export function parseRunFilter(q: Record<string, unknown>): RunFilter {
  const str = (v: unknown, re: RegExp) => (typeof v === 'string' && v !== '' && v.length <= 255 && re.test(v) ? v : undefined);
  return {
    repository: str(q.repository, /^[^\s]+$/),
    branch: str(q.branch, /^[^\s]+$/),
    event: str(q.event, /^[a-z_]+$/),
    status: str(q.status, /^[a-z_]+$/),
  };
}

/**
 * One page of runs, newest first, matching the filter, after run `before` (keyset on createdAt, id,
 * as GET /api/runs pages). `keep` drops runs the reader may not see; pages are then refilled from
 * further back, reading at most a few pages' worth of rows.
 */
export async function listRuns(store: Store, f: RunFilter, before: string | null, limit: number, keep: (run: RunRecord) => Promise<boolean>): Promise<{ runs: RunRecord[]; next: string | null }> {
  const where: string[] = [];
  const params: Record<string, unknown> = {};
  if (f.repository) {
    where.push("(json_extract(repo_json, '$.owner') || '/' || json_extract(repo_json, '$.name')) = @repository");
    params.repository = f.repository;
  }
  if (f.branch) {
    where.push('(ref = @branch OR ref = @branchRef)');
    params.branch = f.branch;
    params.branchRef = `refs/heads/${f.branch}`;
  }
  if (f.event) {
    where.push('event = @event');
    params.event = f.event;
  }
  if (f.status === 'running') where.push("state = 'running'");
  else if (f.status) {
    where.push('conclusion = @status');
    params.status = f.status;
  }
  let cursor = before ? store.runs.get(before) : undefined;
  const out: RunRecord[] = [];
  for (let round = 0; round < 10 && out.length < limit; round++) {
    const page = store.db
      .prepare(
        `SELECT id FROM runs WHERE ${[...where, cursor ? '(created_at < @c OR (created_at = @c AND id < @cid))' : '1'].join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT @limit`,
      )
      .pluck()
      .all({ ...params, ...(cursor ? { c: cursor.createdAt, cid: cursor.id } : {}), limit: limit + 1 }) as string[];
    for (const id of page) {
      const run = store.runs.get(id);
      if (!run) continue;
      cursor = run;
      if (out.length === limit) return { runs: out, next: out[out.length - 1]!.id };
      if (await keep(run)) out.push(run);
    }
    if (page.length <= limit) return { runs: out, next: null };
  }
  return { runs: out, next: out.length ? out[out.length - 1]!.id : null };
}
