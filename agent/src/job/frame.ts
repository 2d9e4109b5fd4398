/** The bookkeeping of one level of step execution (the job, or a composite action's own steps). */
import type { RemoteActionRef } from '@helios-ci/sdk';
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
  /** The `inputs` context: the job's (event or reusable-workflow call, typed) or a composite action's. */
  inputs: Record<string, string | number | boolean>;
  /** Env of the enclosing composite step (already evaluated); {} at job level. */
  env: Record<string, string>;
  actionPath: string | null;
  /** The remote composite action these steps belong to (GITHUB_ACTION_REPOSITORY/REF); null otherwise. */
  action: RemoteActionRef | null;
}

/** What running one step of any kind produced. */
export interface StepExecution {
  outcome: StepResult;
  outputs: Record<string, string>;
  exit: number;
  summary: string;
}

/**
 * Work an action leaves for the end of the job (GitHub's `post:` of an action), run after the
 * main steps in reverse order of registration and reported like a step.
 */
export interface PostStep {
  /** The reported step id: `__post_<main step id>`. */
  id: string;
  /** The reported name: `Post <main step name>`. */
  name: string;
  /** The action's `post-if`, evaluated at the end of the job (GitHub's default is `always()`). */
  if: string;
  run: () => Promise<StepExecution>;
}
