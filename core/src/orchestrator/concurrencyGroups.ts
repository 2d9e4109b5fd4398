import type { JobRecord, Store } from '../store/index.js';

export interface ConcurrencyGroup {
  group: string;
  cancelInProgress: boolean;
  level: 'job' | 'workflow';
}

/** The concurrency groups a job is in: its own `concurrency:` and its workflow's. */
export function groupsOf(store: Store, job: JobRecord): ConcurrencyGroup[] {
  const groups: ConcurrencyGroup[] = [];
  if (job.plan.concurrency) groups.push({ ...job.plan.concurrency, level: 'job' });
  const run = store.runs.get(job.runId);
  const wf = run?.plan.workflows.find((w) => w.file === job.plan.workflow.file);
  if (wf?.concurrency) groups.push({ ...wf.concurrency, level: 'workflow' });
  return groups;
}

/** Two jobs contend for a group unless it is a workflow group and they are of the same run. */
export function contend(a: ConcurrencyGroup, b: ConcurrencyGroup, ja: JobRecord, jb: JobRecord): boolean {
  if (a.group !== b.group) return false;
  return !(a.level === 'workflow' && b.level === 'workflow' && ja.runId === jb.runId);
}
