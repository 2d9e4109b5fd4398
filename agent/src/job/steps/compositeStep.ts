/**
 * A composite action: its own steps in a nested frame, then its outputs. Local (`uses: ./path`, in
 * the workspace) or remote (`action` set: the tree fetched at "Set up job", github.action_path).
 */
import { relative, resolve } from 'node:path';
import type { CompositeStep, Step } from '@helios-ci/sdk';
import { interpolate, type EvalScope } from '../../expressions.js';
import { actionDir, shortSha } from '../actionTrees.js';
import type { Frame, StepExecution } from '../frame.js';
import type { JobContext } from '../jobContext.js';
import { expressionScope } from '../stepContexts.js';

/** Runs a list of steps in a frame (the job runner's sequencing, handed in to avoid an import cycle). */
export type RunSteps = (steps: Step[], frame: Frame) => Promise<void>;

export async function runCompositeStep(
  job: JobContext,
  step: CompositeStep,
  id: string,
  frame: Frame,
  scope: EvalScope,
  stepEnv: Record<string, string>,
  runSteps: RunSteps,
): Promise<StepExecution> {
  let actionPath: string;
  if (step.action) {
    actionPath = actionDir(job, step.action);
    job.system(id, `Run ${step.uses} (${step.action.repo}${step.action.path ? `/${step.action.path}` : ''}@${shortSha(step.action.sha)}, ${step.action.sha})`);
  } else {
    if (!step.uses.startsWith('./')) throw new Error(`composite action ${step.uses}: a remote composite action needs its resolved commit in the plan (re-plan the run with this server)`);
    actionPath = resolve(job.workspace, step.uses);
    if (relative(job.workspace, actionPath).startsWith('..')) throw new Error(`composite action ${step.uses} is outside the workspace`);
  }
  const inputs: Record<string, string> = {};
  for (const [k, v] of Object.entries(step.inputDefaults)) inputs[k] = interpolate(v, scope);
  for (const [k, v] of Object.entries(step.with)) inputs[k] = interpolate(v, scope);
  const inner: Frame = {
    prefix: `${id}/`,
    parent: id,
    steps: {},
    // A composite starts from the caller's status, so its success()/failure() see the job so far.
    status: frame.status,
    inputs,
    env: { ...frame.env, ...stepEnv },
    actionPath,
    action: step.action ?? null,
  };
  await runSteps(step.steps, inner);
  const innerScope = expressionScope(job, inner, {});
  const outputs: Record<string, string> = {};
  for (const [k, v] of Object.entries(step.outputs)) outputs[k] = interpolate(v, innerScope);
  const failed = Object.values(inner.steps).some((s) => s.conclusion === 'failure');
  const cancelled = Object.values(inner.steps).some((s) => s.conclusion === 'cancelled');
  return { outcome: failed ? 'failure' : cancelled ? 'cancelled' : 'success', outputs, exit: -1, summary: '' };
}
