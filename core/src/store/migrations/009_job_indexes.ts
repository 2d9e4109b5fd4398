/**
 * Migration 10 (issue 19): indexes that keep the orchestrator's per-job work O(log n) in runs of
 * thousands of jobs. `jobs_run_state`: a run's unfinished jobs (is the run done? which of its jobs
 * are live?) and its per-state counts without reading every job. `jobs_run_key_state`: the
 * instances of one job key of one workflow in a run (a matrix), for `needs` — an expression index,
 * so queries must spell the expressions exactly as here (JobRepo). FROZEN once released.
 */
export const name = 'job_indexes';

export const sql = `
CREATE INDEX jobs_run_state ON jobs (run_id, state);
CREATE INDEX jobs_run_key_state ON jobs (run_id, json_extract(plan_json, '$.workflow.file'), json_extract(plan_json, '$.jobKey'), state);
`;
