/** Actions the agent implements itself (`actions/checkout`); the others are refused clearly. */
import { relative, resolve } from 'node:path';
import type { BuiltinStep } from '@helios-ci/sdk';
import { interpolate, type EvalScope } from '../../expressions.js';
import { checkout } from '../checkout.js';
import { SAFE_REF, SAFE_SHA } from '../cloneMirror.js';
import type { StepExecution } from '../frame.js';
import type { JobContext } from '../jobContext.js';

export async function runBuiltinStep(job: JobContext, step: BuiltinStep, id: string, scope: EvalScope): Promise<StepExecution> {
  const w: Record<string, string> = {};
  for (const [k, v] of Object.entries(step.with)) w[k] = interpolate(v, scope);
  switch (step.action) {
    case 'checkout': {
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
    case 'cache':
    case 'cache-restore':
    case 'cache-save':
    case 'upload-artifact':
    case 'download-artifact':
      throw new Error(`${step.uses}: not supported by this agent yet (helios-agent ${'0.1.0'} implements actions/checkout only); remove the step or run it on a runtime with storage support`);
  }
}
