import type { JobState } from '@helios-ci/sdk';

/**
 * Which jobs may start, which must be cancelled and which wait — decided from a snapshot of the
 * jobs alone, with no store, queue or clock, so every rule is unit-tested in isolation
 * (test/orchestrator/admission.test.ts). The orchestrator builds the snapshot and applies the result.
 *
 * Rules, as GitHub Actions has them:
 * - capacity: at most `capacity` jobs provisioning or running on this host;
 * - `strategy.max-parallel`: at most that many instances of one matrix job active at once;
 * - `strategy.fail-fast`: a failed matrix instance (not continue-on-error) cancels its siblings;
 * - `concurrency:` groups, scoped by forge + repository: one job (or run, for a workflow group)
 *   holds a group at a time; a newly arrived run cancels the group's pending jobs of other runs
 *   ("at most one pending"), and with `cancel-in-progress` its running ones too.
 */

export interface AdmissionGroup {
  /** Scoped key: forge, repository and group name; equal keys contend. See `scopedGroupKey`. */
  key: string;
  /** The group name as written, for messages. */
  group: string;
  cancelInProgress: boolean;
  /** A workflow group is held by a whole run (its jobs do not contend with each other). */
  level: 'job' | 'workflow' | 'call';
  /** A call group (`concurrency:` on a job that calls a reusable workflow): the call holding it. */
  call?: string;
}

export interface AdmissionJob {
  id: string;
  runId: string;
  state: JobState;
  /** Matrix siblings share it: `<workflow file>#<job key>` within one run. */
  matrixKey: string | null;
  /**
   * The matrices of calls the job belongs to (a job of a called workflow whose calling job has a
   * matrix): `key` is shared by the calls, `call` names this job's call.
   */
  callMatrices?: { key: string; call: string; failFast: boolean; maxParallel: number | null }[];
  maxParallel: number | null;
  failFast: boolean;
  continueOnError: boolean;
  groups: AdmissionGroup[];
}

export interface AdmissionInput {
  /** Jobs asking to start now, in order (a queue delivery; earlier ones are admitted first). */
  candidates?: readonly AdmissionJob[];
  /** Jobs of a run that has just arrived: its concurrency groups displace other runs' jobs. */
  arrived?: readonly AdmissionJob[];
  /** Jobs that have just failed: fail-fast cancels their matrix siblings. */
  failed?: readonly AdmissionJob[];
  /** Every job not yet final (queued, provisioning, running), candidates included or not. */
  jobs: readonly AdmissionJob[];
  /** Jobs this host may run at once. */
  capacity: number;
}

export interface AdmissionDecision {
  start: string[];
  wait: { jobId: string; reason: string }[];
  cancel: { jobId: string; reason: string }[];
}

const ACTIVE: ReadonlySet<JobState> = new Set(['provisioning', 'running']);
const PENDING: ReadonlySet<JobState> = new Set(['queued']);

/**
 * The group key: the same group name in another repository, or in the same repository on another
 * forge, is another group (issue 10 item 7: repo B's `deploy-production` must not touch repo A's).
 */
export function scopedGroupKey(scope: { forge: string | null; repo: string }, group: string): string {
  return JSON.stringify([scope.forge ?? '', scope.repo, group]);
}

/**
 * Two jobs contend for a group unless it is a workflow group held by both through the same run, or
 * a call group held by both through the same call (the called workflow's jobs hold it together).
 */
function contend(a: AdmissionJob, ga: AdmissionGroup, b: AdmissionJob, gb: AdmissionGroup): boolean {
  if (a.id === b.id || ga.key !== gb.key) return false;
  if (ga.level === 'call' && gb.level === 'call') return !(a.runId === b.runId && ga.call === gb.call);
  return !(ga.level === 'workflow' && gb.level === 'workflow' && a.runId === b.runId);
}

export function admit(input: AdmissionInput): AdmissionDecision {
  const out: AdmissionDecision = { start: [], wait: [], cancel: [] };
  const cancelled = new Set<string>();
  const cancel = (jobId: string, reason: string) => {
    if (cancelled.has(jobId)) return;
    cancelled.add(jobId);
    out.cancel.push({ jobId, reason });
  };
  const live = () => input.jobs.filter((j) => !cancelled.has(j.id));

  // Fail-fast first: a sibling it cancels must not be started below.
  for (const f of input.failed ?? []) {
    if (f.continueOnError) continue;
    const unfinished = live().filter((s) => s.id !== f.id && s.runId === f.runId && (ACTIVE.has(s.state) || PENDING.has(s.state)));
    if (f.failFast && f.matrixKey !== null) for (const s of unfinished) if (s.matrixKey === f.matrixKey) cancel(s.id, `fail-fast: ${f.id} failed`);
    // A matrix of calls: the other calls are the matrix's other instances.
    for (const m of f.callMatrices ?? []) {
      if (!m.failFast) continue;
      for (const s of unfinished) if (s.callMatrices?.some((o) => o.key === m.key && o.call !== m.call)) cancel(s.id, `fail-fast: ${f.id} of ${m.call} failed`);
    }
  }

  // A new run displaces other runs' jobs in its groups: pending ones always (one pending per
  // group), running ones with cancel-in-progress.
  const arrivedRuns = new Set((input.arrived ?? []).map((j) => j.runId));
  for (const a of input.arrived ?? []) {
    for (const g of a.groups) {
      for (const other of live()) {
        if (arrivedRuns.has(other.runId)) continue;
        if (!other.groups.some((h) => h.key === g.key)) continue;
        if (PENDING.has(other.state) || (g.cancelInProgress && ACTIVE.has(other.state))) cancel(other.id, `superseded by run ${a.runId} in concurrency group ${g.group}`);
      }
    }
  }

  // Candidates, in order; each one started counts against the next.
  const active = live().filter((j) => ACTIVE.has(j.state));
  for (const c of input.candidates ?? []) {
    if (cancelled.has(c.id)) continue;
    if (!PENDING.has(c.state)) {
      out.wait.push({ jobId: c.id, reason: `job is ${c.state}, not queued` });
      continue;
    }
    const reason = waitReason(c, active, input.capacity);
    if (reason) {
      out.wait.push({ jobId: c.id, reason });
      continue;
    }
    out.start.push(c.id);
    active.push({ ...c, state: 'provisioning' });
  }
  return out;
}

function waitReason(c: AdmissionJob, active: readonly AdmissionJob[], capacity: number): string | null {
  if (active.length >= capacity) return `all ${capacity} job slots of this host are busy`;
  if (c.maxParallel !== null && c.matrixKey !== null) {
    const siblings = active.filter((j) => j.runId === c.runId && j.matrixKey === c.matrixKey).length;
    if (siblings >= c.maxParallel) return `max-parallel ${c.maxParallel}: ${siblings} instances of this matrix are running`;
  }
  for (const m of c.callMatrices ?? []) {
    if (m.maxParallel === null) continue;
    const running = new Set<string>();
    for (const j of active) if (j.runId === c.runId) for (const o of j.callMatrices ?? []) if (o.key === m.key) running.add(o.call);
    if (!running.has(m.call) && running.size >= m.maxParallel) return `max-parallel ${m.maxParallel}: ${running.size} calls of this matrix are running`;
  }
  for (const g of c.groups) {
    const holder = active.find((other) => other.groups.some((h) => contend(c, g, other, h)));
    if (holder) return `concurrency group ${g.group} is held by job ${holder.id}`;
  }
  return null;
}
