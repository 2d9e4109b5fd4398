/**
 * A JavaScript action from a repository (`runs.using: node20 | node24`): its `main` run by the
 * image's `node` in the workspace, with the action's inputs as INPUT_<NAME>, GITHUB_STATE carried to
 * its own later runs as STATE_<name>, and `pre` / `post` as GitHub's runner runs them (pre before the
 * job's first step, post at the job's end in reverse order, also after a failure).
 */
import { join } from 'node:path';
import type { NodeActionStep } from '@helios-ci/sdk';
import { evaluateCondition, interpolate, type EvalScope } from '../../expressions.js';
import { actionDir, shortSha } from '../actionTrees.js';
import type { Frame, StepExecution, StepResult } from '../frame.js';
import { describeResult, type JobContext } from '../jobContext.js';
import { lookPath } from '../shells.js';
import { expressionScope, processEnv } from '../stepContexts.js';

/** The env name @actions/core's getInput reads for input `name`. */
export function inputEnvName(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

/**
 * The action's inputs: action.yml defaults, overridden by the step's `with`, both evaluated like
 * any step's `with`. An input action.yml requires (with no default) that `with` leaves out fails.
 */
export function actionInputs(step: NodeActionStep, scope: EvalScope): Record<string, string> {
  const missing = step.requiredInputs.filter((name) => !(name in step.with));
  if (missing.length > 0) {
    throw new Error(`${step.uses}: required input${missing.length > 1 ? 's' : ''} ${missing.map((m) => JSON.stringify(m)).join(', ')} not supplied; add ${missing.length > 1 ? 'them' : 'it'} under \`with:\` of this step`);
  }
  const inputs: Record<string, string> = {};
  for (const [k, v] of Object.entries(step.inputDefaults)) inputs[k] = interpolate(v, scope);
  for (const [k, v] of Object.entries(step.with)) inputs[k] = interpolate(v, scope);
  return inputs;
}

/** One run of an action script and what it reported through the file commands. */
interface ScriptRun extends StepExecution {
  state: Record<string, string>;
}

type Phase = 'pre' | 'main' | 'post';

/**
 * Runs `script` (main, pre or post) of the action for step `id`, reporting under `reportAs`. The
 * env is the step's (processEnv) plus the action's own variables, its inputs and its saved state.
 */
async function runScript(
  job: JobContext,
  step: NodeActionStep,
  id: string,
  reportAs: string,
  phase: Phase,
  frame: Frame,
  stepEnv: Record<string, string>,
  inputs: Record<string, string>,
  timeoutMs: number | null,
): Promise<ScriptRun> {
  const dir = actionDir(job, step.action);
  const script = phase === 'main' ? step.main : phase === 'pre' ? step.pre! : step.post!;
  const files = job.fileCommands.paths();
  const env = processEnv(job, { ...frame, action: step.action }, stepEnv, files);
  env.GITHUB_ACTION = step.id;
  env.GITHUB_ACTION_PATH = dir;
  for (const [k, v] of Object.entries(inputs)) env[inputEnvName(k)] = v;
  for (const [k, v] of Object.entries(job.actionState.get(id) ?? {})) env[`STATE_${k}`] = v;
  const node = lookPath('node', env.PATH);
  if (!node) {
    throw new Error(`${step.uses} is a JavaScript action (runs.using: ${step.using}) and needs Node.js, but there is no \`node\` on the job's PATH; use an image that has Node ${step.using.slice(4)} or newer, or install it in an earlier step (add its bin directory to GITHUB_PATH)`);
  }
  const r = await job.exec(reportAs, [node, join(dir, script)], job.workspace, env, timeoutMs);
  const fc = job.fileCommands.collect(reportAs, job);
  if (Object.keys(fc.state).length > 0) job.actionState.set(id, { ...job.actionState.get(id), ...fc.state });
  let outcome: StepResult = r.exit === 0 && !fc.error ? 'success' : 'failure';
  if (r.spawnError) job.system(reportAs, `##[error]cannot start ${node}: ${r.spawnError}`);
  else if (r.killed === 'timeout' && !job.timedOut) job.system(reportAs, `##[error]The step exceeded its timeout of ${step.timeoutMinutes} minutes`);
  else if (r.exit !== 0) job.system(reportAs, `##[error]Node action ${phase} (${script}) completed with ${describeResult(r)}.`);
  if (r.killed === 'cancel') outcome = 'cancelled';
  return { outcome, outputs: fc.outputs, exit: r.exit ?? -1, summary: fc.summary, state: fc.state };
}

/** The first line of each of the action's runs: what it is and the commit it runs. */
function announce(job: JobContext, step: NodeActionStep, reportAs: string, phase: Phase): void {
  const a = step.action;
  job.system(reportAs, `${phase === 'main' ? 'Run' : phase === 'pre' ? 'Pre' : 'Post'} ${step.uses} (${a.repo}${a.path ? `/${a.path}` : ''}@${shortSha(a.sha)}, ${a.sha})`);
}

/**
 * The step itself. Its post is registered before main runs, so a failed main still gets its post
 * (post-if decides). `runPre`: an action nested in a composite runs its pre here, just before main
 * (a composite's inputs exist only once it runs); top-level pres ran before the first step.
 */
export async function runNodeActionStep(
  job: JobContext,
  step: NodeActionStep,
  id: string,
  frame: Frame,
  scope: EvalScope,
  stepEnv: Record<string, string>,
  timeoutMs: number | null,
  runPre: boolean,
): Promise<StepExecution> {
  const inputs = actionInputs(step, scope);
  if (step.post) {
    const postId = `__post_${id}`;
    job.postSteps.push({
      id: postId,
      name: `Post ${stepName(step, scope)}`,
      if: step.postIf ?? 'always()',
      run: async () => {
        announce(job, step, postId, 'post');
        return runScript(job, step, id, postId, 'post', frame, stepEnv, inputs, null);
      },
    });
  }
  if (runPre && step.pre && evaluateCondition(step.preIf ?? 'always()', scope)) {
    announce(job, step, id, 'pre');
    const pre = await runScript(job, step, id, id, 'pre', frame, stepEnv, inputs, timeoutMs);
    if (pre.outcome !== 'success') return pre;
  }
  announce(job, step, id, 'main');
  return runScript(job, step, id, id, 'main', frame, stepEnv, inputs, timeoutMs);
}

/**
 * A top-level action's pre, before the job's first step, reported as `__pre_<id>`: its `pre-if`
 * (default always()) over the job so far; its inputs and env evaluated now, as GitHub does.
 */
export async function runNodeActionPre(job: JobContext, step: NodeActionStep, frame: Frame): Promise<{ ran: boolean; result: StepExecution }> {
  const reportAs = `__pre_${frame.prefix}${step.id}`;
  const id = frame.prefix + step.id;
  const scope = expressionScope(job, frame, {});
  if (!evaluateCondition(step.preIf ?? 'always()', scope)) return { ran: false, result: { outcome: 'skipped', outputs: {}, exit: -1, summary: '' } };
  const stepEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(step.env)) stepEnv[k] = interpolate(v, expressionScope(job, frame, stepEnv));
  const envScope = expressionScope(job, frame, stepEnv);
  announce(job, step, reportAs, 'pre');
  return { ran: true, result: await runScript(job, step, id, reportAs, 'pre', frame, stepEnv, actionInputs(step, envScope), null) };
}

function stepName(step: NodeActionStep, scope: EvalScope): string {
  try {
    return interpolate(step.name, scope);
  } catch {
    return step.name;
  }
}
