/** A local composite action (`uses: ./path`): its own steps in a nested frame, then its outputs. */
import { relative, resolve } from 'node:path';
import type { CompositeStep, Step } from '@helios-ci/sdk';
import { interpolate, type EvalScope } from '../../expressions.js';
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
  if (!step.uses.startsWith('./')) throw new Error(`composite action ${step.uses}: only local actions (./path) are supported`);
  const actionPath = resolve(job.workspace, step.uses);
  if (relative(job.workspace, actionPath).startsWith('..')) throw new Error(`composite action ${step.uses} is outside the workspace`);
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
  };
  await runSteps(step.steps, inner);
  const innerScope = expressionScope(job, inner, {});
  const outputs: Record<string, string> = {};
  for (const [k, v] of Object.entries(step.outputs)) outputs[k] = interpolate(v, innerScope);
  const failed = Object.values(inner.steps).some((s) => s.conclusion === 'failure');
  const cancelled = Object.values(inner.steps).some((s) => s.conclusion === 'cancelled');
  return { outcome: failed ? 'failure' : cancelled ? 'cancelled' : 'success', outputs, exit: -1, summary: '' };
}
