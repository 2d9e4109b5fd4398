import type { JobPlan } from '@helios-ci/sdk';
import type { JobRecord } from '../store/index.js';
import { answersNeed } from './workflowCallNeeds.js';

const key = (workflow: string, jobKey: string) => `${workflow}\0${jobKey}`;
const FAILED = ['failed', 'timed_out', 'errored', 'cancelled'];

/** The jobs that failed (failed, timed out, errored, cancelled) and, transitively, every job that needs one. */
export function failedWithDependents(jobs: readonly JobRecord[]): JobRecord[] {
  const selected = new Set(jobs.filter((j) => FAILED.includes(j.state)).map((j) => key(j.plan.workflow.file, j.plan.jobKey)));
  for (let grew = true; grew; ) {
    grew = false;
    for (const j of jobs) {
      const k = key(j.plan.workflow.file, j.plan.jobKey);
      if (!selected.has(k) && j.plan.needs.some((n) => jobs.some((o) => o.plan.workflow.file === j.plan.workflow.file && answersNeed(o.plan.jobKey, n) && selected.has(key(o.plan.workflow.file, o.plan.jobKey))))) {
        selected.add(k);
        grew = true;
      }
    }
  }
  return jobs.filter((j) => selected.has(key(j.plan.workflow.file, j.plan.jobKey)));
}

/**
 * The plans of re-run jobs: needs on jobs that are not re-run are dropped (their outputs are not
 * carried over), and so is an `if:` that could only have read them.
 */
export function rerunPlans(jobs: readonly JobRecord[]): JobPlan[] {
  const keys = new Set(jobs.map((j) => key(j.plan.workflow.file, j.plan.jobKey)));
  return jobs.map((j) => {
    const needs = j.plan.needs.filter((n) => jobs.some((o) => o.plan.workflow.file === j.plan.workflow.file && answersNeed(o.plan.jobKey, n) && keys.has(key(o.plan.workflow.file, o.plan.jobKey))));
    return { ...j.plan, needs, if: needs.length === j.plan.needs.length ? j.plan.if : null };
  });
}
