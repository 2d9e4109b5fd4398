/** The bookkeeping of one level of step execution (the job, or a composite action's own steps). */
import type { JobStatus } from '../expressions.js';

export type StepResult = 'success' | 'failure' | 'cancelled' | 'skipped';

export interface StepsContext {
  [id: string]: { outputs: Record<string, string>; outcome: StepResult; conclusion: StepResult };
}

export interface Frame {
  prefix: string;
  parent: string;
  steps: StepsContext;
  status: JobStatus;
  inputs: Record<string, string>;
  /** Env of the enclosing composite step (already evaluated); {} at job level. */
  env: Record<string, string>;
  actionPath: string | null;
}

/** What running one step of any kind produced. */
export interface StepExecution {
  outcome: StepResult;
  outputs: Record<string, string>;
  exit: number;
  summary: string;
}
