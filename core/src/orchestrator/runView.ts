import { remoteActionsOf, type PlannedRemoteAction } from './remoteActionsOf.js';
import type { Annotation, JobPlan, JobState, PlanProblem, VmactionsMapping } from '@helios-ci/sdk';
import type { RunRecord, Store } from '../store/index.js';

export interface StepView {
  number: number;
  name: string;
  state: string;
  conclusion: string | null;
  durationMs: number | null;
}

export interface JobView {
  id: string;
  key: string;
  name: string;
  workflow: string;
  matrix: Record<string, unknown> | null;
  runsOn: string[];
  state: JobState;
  reason: string | null;
  attempt: number;
  outputs: Record<string, string>;
  durationMs: number | null;
  /**
   * Machine start, in ms from the start of provisioning (t0, the disk clone): t1 `bootedMs`, t2
   * `consoleMs` (first console byte), t3 `helloMs` (agent Hello); null when not reached or not
   * reported by the runtime. Absent when the job never provisioned.
   */
  machineStart?: { bootedMs: number | null; consoleMs: number | null; helloMs: number | null };
  /** How a `uses: vmactions/<os>-vm` step was mapped (label, release, ignored inputs); absent for other jobs. */
  vmactions?: VmactionsMapping;
  /**
   * `environment:` of the job. `url` is the environment's url when it was known at plan time;
   * `urlWritten` the expression when it reads values of the running job (steps, needs), which
   * Helios does not keep after the job yet — then `url` is null.
   */
  environment?: { name: string; url: string | null; urlWritten: string | null };
  steps: StepView[];
  /** Remote actions of the job's plan, each with the commit planning pinned (a re-run uses the same). */
  actions: PlannedRemoteAction[];
  annotations: Annotation[];
}

/** The run's own fields, shared by the run view and the run list. */
export interface RunFields {
  id: string;
  state: string;
  conclusion: string | null;
  event: string;
  ref: string;
  sha: string;
  repository: string;
  createdAt: string;
  durationMs: number | null;
}

export interface RunView extends RunFields {
  problems: PlanProblem[];
  jobs: JobView[];
}

export function runFields(run: RunRecord): RunFields {
  return {
    id: run.id,
    state: run.state,
    conclusion: run.conclusion,
    event: run.event,
    ref: run.ref,
    sha: run.sha,
    repository: `${run.repo.owner}/${run.repo.name}`,
    createdAt: new Date(run.createdAt).toISOString(),
    durationMs: span(run.createdAt, run.finishedAt),
  };
}

const span = (from: number | null, to: number | null) => (from !== null && to !== null ? to - from : null);

/** The final run record (`helios run --json`, `GET /api/runs/:id`): plain JSON, stable field names. */
export function viewRun(store: Store, runId: string): RunView | null {
  const run = store.runs.get(runId);
  if (!run) return null;
  return {
    ...runFields(run),
    problems: run.plan.problems,
    jobs: store.jobs.listByRun(runId).map((job) => viewJobRecord(store, job.id)!),
  };
}

export function viewJobRecord(store: Store, jobId: string): JobView | null {
  const job = store.jobs.get(jobId);
  if (!job) return null;
  return {
    id: job.id,
    key: job.plan.jobKey,
    name: job.name,
    workflow: job.plan.workflow.file,
    matrix: job.plan.matrix,
    runsOn: job.plan.runsOn,
    state: job.state,
    reason: job.reason,
    attempt: job.attempt,
    outputs: job.outputs ?? {},
    durationMs: span(job.startedAt ?? job.provisioningAt, job.finishedAt),
    ...machineStart(store, job.id),
    ...(job.plan.vmactions && { vmactions: job.plan.vmactions }),
    ...(job.plan.environment && { environment: environmentView(job.plan.environment) }),
    steps: store.steps.list(job.id).map((s) => ({ number: s.idx, name: s.name, state: s.state, conclusion: s.conclusion, durationMs: span(s.startedAt, s.finishedAt) })),
    actions: remoteActionsOf(job.plan.steps),
    annotations: store.annotations.list(job.id),
  };
}

function machineStart(store: Store, jobId: string): Pick<JobView, 'machineStart'> {
  const t = store.jobTimings.get(jobId);
  if (!t) return {};
  return { machineStart: { bootedMs: span(t.cloneAt, t.bootedAt), consoleMs: span(t.cloneAt, t.consoleAt), helloMs: span(t.cloneAt, t.helloAt) } };
}

function environmentView(env: NonNullable<JobPlan['environment']>): NonNullable<JobView['environment']> {
  const url = env.url === null || env.url === '' ? null : env.url;
  if (url !== null && url.includes('${{')) return { name: env.name, url: null, urlWritten: url };
  return { name: env.name, url, urlWritten: null };
}
