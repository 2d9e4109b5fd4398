/** A `run:` step: the script written to a temp file and run by its shell in the workspace. */
import { randomUUID } from 'node:crypto';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { RunStep } from '@helios-ci/sdk';
import { interpolate, type EvalScope } from '../../expressions.js';
import type { Frame, StepExecution, StepResult } from '../frame.js';
import { describeResult, type JobContext } from '../jobContext.js';
import { resolveShell } from '../shells.js';
import { processEnv } from '../stepContexts.js';

export async function runRunStep(
  job: JobContext,
  step: RunStep,
  id: string,
  frame: Frame,
  scope: EvalScope,
  stepEnv: Record<string, string>,
  timeoutMs: number | null,
): Promise<StepExecution> {
  const files = job.fileCommands.paths();
  const env = processEnv(job, frame, stepEnv, files);
  const script = interpolate(step.run, scope);
  const shell = resolveShell(step.shell, job.spec.job.defaults.shell, env.PATH);
  const scriptPath = join(job.temp, `${randomUUID()}${shell.ext}`);
  writeFileSync(scriptPath, script.endsWith('\n') ? script : `${script}\n`);
  const argv = shell.argv.map((a) => a.replace('{0}', scriptPath));
  const wd = step.workingDirectory ?? (frame.actionPath ? null : job.spec.job.defaults.workingDirectory);
  const cwd = wd ? resolve(job.workspace, interpolate(wd, scope)) : job.workspace;
  if (!existsSync(cwd)) throw new Error(`working-directory ${relative(job.workspace, cwd) || '.'} does not exist in the workspace`);
  const r = await job.exec(id, argv, cwd, env, timeoutMs);
  rmSync(scriptPath, { force: true });
  const fc = job.fileCommands.collect(id, job);
  let outcome: StepResult = r.exit === 0 && !fc.error ? 'success' : 'failure';
  if (r.spawnError) job.system(id, `##[error]cannot start ${shell.argv[0]}: ${r.spawnError}`);
  else if (r.killed === 'timeout' && !job.timedOut) job.system(id, `##[error]The step exceeded its timeout of ${step.timeoutMinutes} minutes`);
  else if (r.exit !== 0) job.system(id, `##[error]Process completed with ${describeResult(r)}.`);
  if (r.killed === 'cancel') outcome = 'cancelled';
  return { outcome, outputs: fc.outputs, exit: r.exit ?? -1, summary: fc.summary };
}
