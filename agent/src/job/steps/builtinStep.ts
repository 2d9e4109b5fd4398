/**
 * Actions the agent implements itself: actions/checkout, actions/cache (+ /restore, /save),
 * actions/upload-artifact and actions/download-artifact. The storage ones talk to the server's
 * cache and artifact RPCs over the job's own connection.
 */
import { relative, resolve } from 'node:path';
import type { BuiltinStep } from '@helios-ci/sdk';
import { downloadArtifactStep } from '../../actions/artifacts/downloadArtifact.js';
import { uploadArtifactStep } from '../../actions/artifacts/uploadArtifact.js';
import { restoreStep, saveStep, type CacheEnv, type CacheState } from '../../actions/cache/cacheAction.js';
import { majorVersion } from '../../actions/inputs.js';
import { StepLog } from '../../actions/stepLog.js';
import { interpolate, type EvalScope } from '../../expressions.js';
import { checkout } from '../checkout.js';
import { SAFE_REF, SAFE_SHA } from '../cloneMirror.js';
import type { StepExecution } from '../frame.js';
import { StepTimeoutError, type JobContext } from '../jobContext.js';

const done = (outputs: Record<string, string> = {}): StepExecution => ({ outcome: 'success', outputs, exit: -1, summary: '' });

export async function runBuiltinStep(job: JobContext, step: BuiltinStep, id: string, scope: EvalScope, timeoutMs: number | null): Promise<StepExecution> {
  const w: Record<string, string> = {};
  for (const [k, v] of Object.entries(step.with)) w[k] = interpolate(v, scope);
  const log = new StepLog(job, id);
  if (step.action === 'checkout') return runCheckout(job, id, w);
  // Transfers stop on a cancel, the job timeout or the step's own, as a step's processes are killed.
  try {
    return await job.killable((signal) => runStorageStep(job, step, id, scope, w, log, signal), timeoutMs);
  } catch (err) {
    if (err instanceof StepTimeoutError) throw new Error(`The step exceeded its timeout of ${step.timeoutMinutes} minutes`);
    throw err;
  }
}

async function runStorageStep(job: JobContext, step: BuiltinStep, id: string, scope: EvalScope, w: Record<string, string>, log: StepLog, signal: AbortSignal): Promise<StepExecution> {
  const cacheEnv = (logTo: StepLog, s: AbortSignal): CacheEnv => ({ job, rpc: job.conn.storage(s), log: logTo });
  switch (step.action) {
    case 'checkout':
      return runCheckout(job, id, w);
    case 'cache': {
      const state: CacheState = { primaryKey: '', matchedKey: '' };
      // Registered before the restore runs, as GitHub's runner does: post-if success() then
      // decides, and the save itself skips an exact primary-key hit.
      const postId = `__post_${id}`;
      job.postSteps.push({
        id: postId,
        name: `Post ${displayName(step, scope)}`,
        if: 'success()',
        run: () =>
          job.killable(async (postSignal) => {
            await saveStep(cacheEnv(new StepLog(job, postId), postSignal), w, state);
            return done();
          }),
      });
      return done(await restoreStep(cacheEnv(log, signal), w, state, false));
    }
    case 'cache-restore':
      return done(await restoreStep(cacheEnv(log, signal), w, { primaryKey: '', matchedKey: '' }, true));
    case 'cache-save': {
      // saveOnlyRun: a save that stored nothing is a warning, never a failure.
      if (!(await saveStep(cacheEnv(log, signal), w, null))) log.warning('Cache save failed.');
      return done();
    }
    case 'upload-artifact':
      return done(await uploadArtifactStep(job.conn.storage(signal), log, job.workspace, w, majorVersion(step.uses)));
    case 'download-artifact':
      return done(await downloadArtifactStep({ rpc: job.conn.storage(signal), log, workspace: job.workspace, temp: job.temp, major: majorVersion(step.uses) }, w));
  }
}

function displayName(step: BuiltinStep, scope: EvalScope): string {
  try {
    return interpolate(step.name, scope);
  } catch {
    return step.name;
  }
}

async function runCheckout(job: JobContext, id: string, w: Record<string, string>): Promise<StepExecution> {
  const repository = job.spec.repository;
  if (w.repository && w.repository !== repository.fullName) {
    throw new Error(`actions/checkout: repository ${w.repository} is not supported (helios-agent checks out only the job's own repository, ${repository.fullName})`);
  }
  const dir = resolve(job.workspace, w.path ?? '');
  if (relative(job.workspace, dir).startsWith('..')) throw new Error(`actions/checkout: path ${w.path} is outside the workspace`);
  const depthText = w['fetch-depth'] ?? '1';
  const depth = Number.parseInt(depthText, 10);
  if (!Number.isInteger(depth) || depth < 0) throw new Error(`actions/checkout: fetch-depth ${JSON.stringify(depthText)} is not a non-negative integer`);
  const submodules = (w.submodules ?? 'false').toLowerCase();
  if (!['true', 'false', 'recursive'].includes(submodules)) throw new Error(`actions/checkout: submodules must be true, false or recursive, not ${JSON.stringify(w.submodules)}`);
  const ref = w.ref || repository.sha;
  if (!SAFE_SHA.test(ref) && !SAFE_REF.test(ref)) throw new Error(`actions/checkout: ref ${JSON.stringify(ref)} is not a valid git ref or SHA`);
  if (!job.mirror) throw new Error('actions/checkout: the job was not set up (see "Set up job")');
  const found = await job.mirror.resolve(id, ref, depth);
  if (!found.ok) throw new Error(found.message);
  const ok = await checkout(job, job.mirror, id, dir, found.sha, depth, submodules);
  return { outcome: ok ? 'success' : 'failure', outputs: {}, exit: -1, summary: '' };
}
