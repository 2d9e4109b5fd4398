import type { JobState } from '@helios-ci/sdk';
import type { RunRecord, Store } from '../../store/index.js';

export interface RunSummary {
  id: string;
  state: string;
  conclusion: string | null;
  event: string;
  ref: string;
  sha: string;
  repository: string;
  createdAt: string;
  durationMs: number | null;
  /** Job counts by state (only states that occur). */
  jobs: Partial<Record<JobState, number>> & { total: number };
}

/** A run as `GET /api/runs` lists it: the run fields of the run view, job counts instead of jobs. */
export function summarizeRun(store: Store, run: RunRecord): RunSummary {
  const jobs: RunSummary['jobs'] = { total: 0 };
  for (const job of store.jobs.listByRun(run.id)) {
    jobs[job.state] = (jobs[job.state] ?? 0) + 1;
    jobs.total++;
  }
  return {
    id: run.id,
    state: run.state,
    conclusion: run.conclusion,
    event: run.event,
    ref: run.ref,
    sha: run.sha,
    repository: `${run.repo.owner}/${run.repo.name}`,
    createdAt: new Date(run.createdAt).toISOString(),
    durationMs: run.finishedAt === null ? null : run.finishedAt - run.createdAt,
    jobs,
  };
}
