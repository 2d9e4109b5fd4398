import type { JobRecord, RunRecord, Store } from '../store/index.js';
import { scopedGroupKey, type AdmissionGroup, type AdmissionJob } from './admission.js';

/** The concurrency groups a job is in (its own `concurrency:`, its calling jobs', its workflow's), scoped by forge + repository. */
export function groupsOf(run: RunRecord | undefined, job: JobRecord): AdmissionGroup[] {
  const scope = { forge: run?.forge ?? null, repo: run ? repoScope(run) : `run:${job.runId}` };
  const groups: AdmissionGroup[] = [];
  if (job.plan.concurrency) groups.push({ ...job.plan.concurrency, key: scopedGroupKey(scope, job.plan.concurrency.group), level: 'job' });
  for (const c of job.plan.workflowCalls ?? []) {
    if (c.concurrency) groups.push({ ...c.concurrency, key: scopedGroupKey(scope, c.concurrency.group), level: 'call', call: c.caller });
  }
  const wf = run?.plan.workflows.find((w) => w.file === job.plan.workflow.file);
  if (wf?.concurrency) groups.push({ ...wf.concurrency, key: scopedGroupKey(scope, wf.concurrency.group), level: 'workflow' });
  return groups;
}

/** Forge runs by owner/name (what the forge calls the repository); local and API runs by clone URL. */
function repoScope(run: RunRecord): string {
  const name = `${run.repo.owner}/${run.repo.name}`.toLowerCase();
  return run.forge === null ? `${name} ${run.repo.id ?? ''}` : name;
}

/** What admission needs to know of a stored job. */
export function admissionJob(store: Store, job: JobRecord, runs = new Map<string, RunRecord | undefined>()): AdmissionJob {
  if (!runs.has(job.runId)) runs.set(job.runId, store.runs.get(job.runId));
  return {
    id: job.id,
    runId: job.runId,
    state: job.state,
    matrixKey: job.plan.matrix ? `${job.plan.workflow.file}#${job.plan.jobKey}` : null,
    callMatrices: (job.plan.workflowCalls ?? []).flatMap((c) =>
      c.matrixOf === undefined ? [] : [{ key: `${job.plan.workflow.file}#${c.matrixOf}`, call: c.caller, failFast: c.failFast ?? true, maxParallel: c.maxParallel ?? null }],
    ),
    maxParallel: job.plan.strategy.maxParallel,
    failFast: job.plan.strategy.failFast,
    continueOnError: job.plan.continueOnError === true,
    groups: groupsOf(runs.get(job.runId), job),
  };
}
