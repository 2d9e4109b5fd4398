import type { JobState } from '@helios-ci/sdk';
import type { RunRecord, Store } from '../../store/index.js';
import { runFields, type RunFields } from '../../orchestrator/runView.js';

export interface RunSummary extends RunFields {
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
  return { ...runFields(run), jobs };
}
