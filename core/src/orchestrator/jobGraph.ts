import type { JobPlan, JobState } from '@helios-ci/sdk';
import { evaluateJobCondition, type JobConditionContext, type NeedResult } from './jobCondition.js';
import { answersNeed, calledJobKeys, evaluateCallOutputs } from './workflowCallNeeds.js';

export interface GraphJob {
  id: string;
  plan: JobPlan;
  state: JobState;
  outputs: Record<string, string> | null;
}

export type Decision = { jobId: string; action: 'run' } | { jobId: string; action: 'skip'; reason: string };

const TERMINAL: readonly JobState[] = ['succeeded', 'failed', 'cancelled', 'timed_out', 'errored', 'skipped'];

function resultOf(job: GraphJob): NeedResult {
  switch (job.state) {
    case 'succeeded':
      return 'success';
    case 'skipped':
      return 'skipped';
    case 'cancelled':
      return 'cancelled';
    default:
      // A job-level continue-on-error failure does not fail its dependents (GitHub semantics).
      return job.plan.continueOnError === true ? 'success' : 'failure';
  }
}

/**
 * `needs.<key>` for one job key: every matrix instance counts. Any failure → failure, else any
 * cancellation → cancelled, else all skipped → skipped, else success. Outputs merge in finish order.
 */
export function needResult(jobs: GraphJob[], jobKey: string): { result: NeedResult; outputs: Record<string, string> } | null {
  // A key that called a reusable workflow stands for every job of that call.
  const instances = jobs.filter((j) => answersNeed(j.plan.jobKey, jobKey));
  if (instances.length === 0 || instances.some((j) => !TERMINAL.includes(j.state))) return null;
  const results = instances.map(resultOf);
  const result: NeedResult = results.includes('failure')
    ? 'failure'
    : results.includes('cancelled')
      ? 'cancelled'
      : results.every((r) => r === 'skipped')
        ? 'skipped'
        : 'success';
  const direct = instances.filter((j) => j.plan.jobKey === jobKey);
  if (direct.length) return { result, outputs: Object.assign({}, ...direct.map((j) => j.outputs ?? {})) };
  return { result, outputs: callOutputs(jobs, jobKey, instances) };
}

/** `needs.<caller>.outputs` of a reusable workflow call: its declared outputs over its jobs' results. */
function callOutputs(jobs: GraphJob[], callerKey: string, instances: GraphJob[]): Record<string, string> {
  // A matrix of calls: each call's outputs, merged in the order the calls' jobs are listed
  // (finish order), skipping empty values — GitHub: the last successful call that set a value.
  const calls = new Set<string>();
  for (const j of instances) for (const c of j.plan.workflowCalls ?? []) if (c.matrixOf === callerKey) calls.add(c.caller);
  if (calls.size) {
    const merged: Record<string, string> = {};
    for (const caller of callOrder(jobs, calls)) {
      const r = needResult(jobs, caller);
      if (!r || r.result !== 'success') continue;
      for (const [k, v] of Object.entries(r.outputs)) if (v !== '') merged[k] = v;
    }
    return merged;
  }
  const declared = instances[0]?.plan.workflowCalls?.find((c) => c.caller === callerKey)?.outputs ?? {};
  const context: Record<string, { result: string; outputs: Record<string, string> }> = {};
  for (const [key, full] of calledJobKeys(instances.map((j) => j.plan), callerKey)) {
    const r = needResult(jobs, full);
    if (r) context[key] = r;
  }
  return evaluateCallOutputs(declared, context);
}

/**
 * Which waiting jobs of one workflow may now run or must be skipped: a job is decided when every
 * instance of every job it needs has finished; then its `if:` (default success()) says which.
 * `waiting` are the ids not yet sent to the queue.
 */
export function decideReadyJobs(
  workflowJobs: GraphJob[],
  waiting: ReadonlySet<string>,
  ctx: Omit<JobConditionContext, 'needs'>,
): Decision[] {
  const decisions: Decision[] = [];
  for (const job of workflowJobs) {
    if (!waiting.has(job.id) || job.state !== 'queued') continue;
    const needs: JobConditionContext['needs'] = {};
    let ready = true;
    for (const key of job.plan.needs) {
      const r = needResult(workflowJobs, key);
      if (!r) {
        ready = false;
        break;
      }
      needs[localNeedKey(job.plan, key)] = r;
    }
    if (!ready) continue;
    let run: boolean;
    try {
      run = evaluateJobCondition(job.plan.if, { ...ctx, ...(job.plan.inputs && { inputs: job.plan.inputs }), needs });
    } catch (err) {
      decisions.push({ jobId: job.id, action: 'skip', reason: (err as Error).message });
      continue;
    }
    decisions.push(run ? { jobId: job.id, action: 'run' } : { jobId: job.id, action: 'skip', reason: job.plan.if ? `if: ${job.plan.if} was false` : 'a job it needs did not succeed' });
  }
  return decisions;
}

/** The `needs` context a job's agent receives (results and outputs of its direct needs). */
export function needsContext(workflowJobs: GraphJob[], plan: JobPlan): Record<string, { result: string; outputs: Record<string, string> }> {
  const out: Record<string, { result: string; outputs: Record<string, string> }> = {};
  for (const key of plan.needs) {
    const r = needResult(workflowJobs, key);
    if (r) out[localNeedKey(plan, key)] = r;
  }
  return out;
}

/**
 * The name a job's expressions use for a need: a called workflow's jobs wrote `needs: compile`,
 * planned as `<caller>/compile`, and read `needs.compile`.
 */
function localNeedKey(plan: JobPlan, key: string): string {
  const call = plan.workflowCalls?.at(-1)?.caller;
  return call !== undefined && key.startsWith(`${call}/`) ? key.slice(call.length + 1) : key;
}

/** Calls of a matrix of calls, ordered by the position of their last job in `jobs` (finish order). */
function callOrder(jobs: GraphJob[], calls: Set<string>): string[] {
  const last = new Map<string, number>();
  jobs.forEach((j, i) => {
    for (const c of calls) if (answersNeed(j.plan.jobKey, c)) last.set(c, i);
  });
  return [...calls].sort((a, b) => (last.get(a) ?? 0) - (last.get(b) ?? 0));
}
