import type { JobState } from '@helios-ci/sdk';
import type { RunRecord, Store } from '../../store/index.js';
import { runFields, type RunFields } from '../../orchestrator/runView.js';

export interface RunSummary extends RunFields {
  /** Job counts by state (only states that occur). */
  jobs: Partial<Record<JobState, number>> & { total: number };
}

/** A run as `GET /api/runs` lists it: the run fields of the run view, job counts instead of jobs. */
export function summarizeRun(store: Store, run: RunRecord): RunSummary {
  // Counted by the store (index jobs_run_state): a poll of a 1,000-job run reads no job.
  const counts = store.jobs.countByStateInRun(run.id);
  const jobs: RunSummary['jobs'] = { ...counts, total: Object.values(counts).reduce((n, c) => n + c, 0) };
  return { ...runFields(run), jobs };
}
