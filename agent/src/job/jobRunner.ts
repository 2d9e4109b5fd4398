/**
 * Runs one job like GitHub's runner: set up (clean workspace, job env, clone at the exact SHA), then
 * the steps in order with status functions, continue-on-error, timeouts and cancel, then the job's
 * outputs and conclusion. Each step kind lives in ./steps/.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { JobSpec, Step } from '@helios-ci/sdk';
import { timerDelayMs } from '@helios-ci/sdk/timers';
import type { Connection } from '../connection.js';
import { evaluateCondition, evaluateFlag, interpolate, type EvalScope } from '../expressions.js';
import { fetchActionTrees, shortSha } from './actionTrees.js';
import { checkout } from './checkout.js';
import { predictCheckouts } from './checkoutNeeds.js';
import { takeCloneCredential, type CloneSource } from './cloneCredential.js';
import { CloneMirror } from './cloneMirror.js';
import type { Frame, StepExecution, StepResult } from './frame.js';
import { JobContext, type JobOptions } from './jobContext.js';
import { expressionScope } from './stepContexts.js';
import { linkWarmPaths } from './warmPaths.js';
import { runBuiltinStep } from './steps/builtinStep.js';
import { runCompositeStep } from './steps/compositeStep.js';
import { runNodeActionPre, runNodeActionStep } from './steps/nodeActionStep.js';

/** Longest wait at `JobSpec.pauseAfterStep` (a ZFS snapshot takes well under a second). */
const PAUSE_TIMEOUT_MS = 10 * 60_000;
import { runRunStep } from './steps/runStep.js';

export type { JobOptions };
export type JobConclusion = 'success' | 'failure' | 'cancelled' | 'timed_out' | 'errored';

export class JobRunner {
  private readonly job: JobContext;

  constructor(spec: JobSpec, conn: Connection, opts: JobOptions) {
    this.job = new JobContext(spec, conn, opts);
  }

  get masker() {
    return this.job.masker;
  }

  get cancelled(): boolean {
    return this.job.cancelled;
  }

  cancel(reason: string): void {
    if (this.job.cancelReason !== null) return;
    this.job.cancelReason = reason;
    this.job.system('__job', `##[error]The job was cancelled: ${reason}`);
    this.job.killRunning('cancel');
  }

  /** Kills every process group this job started (background processes included). */
  async cleanup(): Promise<void> {
    await this.job.groups.killAll(this.job.opts.killGraceMs);
    this.job.mirror?.remove();
  }

  killNow(): void {
    this.job.groups.killAllNow();
  }

  async run(): Promise<{ conclusion: JobConclusion; outputs: Record<string, string>; reason: string }> {
    const { job: ctx } = this;
    const job = ctx.spec.job;
    // Clamped: a plan from before the planner's range check could overflow the timer (fires at once).
    const timeoutMs = job.timeoutMinutes > 0 ? timerDelayMs(job.timeoutMinutes * 60_000) : null;
    const jobTimer = timeoutMs !== null
      ? setTimeout(() => {
          ctx.timedOut = true;
          ctx.system('__job', `##[error]The job exceeded its timeout of ${job.timeoutMinutes} minutes`);
          ctx.killRunning('timeout');
        }, timeoutMs)
      : null;
    const frame: Frame = { prefix: '', parent: '', steps: {}, status: 'success', inputs: ctx.spec.inputs, env: {}, actionPath: null, action: null };
    let reason = '';
    try {
      const setupOk = await this.setup(frame);
      if (!setupOk) {
        frame.status = 'failure';
        reason = 'setting up the job failed (see the "Set up job" log)';
      }
      if (setupOk) await this.runPreSteps(frame);
      await this.runSteps(job.steps, frame, !setupOk);
      await this.runPostSteps(frame);
    } finally {
      if (jobTimer) clearTimeout(jobTimer);
    }
    let outputs: Record<string, string> = {};
    try {
      const scope = expressionScope(ctx, frame, {});
      outputs = Object.fromEntries(Object.entries(job.outputs).map(([k, v]) => [k, ctx.masker.mask(interpolate(v, scope))]));
    } catch (err) {
      ctx.system('__job', `##[error]job outputs: ${(err as Error).message}`);
      if (frame.status === 'success') frame.status = 'failure';
      reason ||= 'evaluating the job outputs failed';
    }
    let conclusion: JobConclusion;
    if (ctx.timedOut) {
      conclusion = 'timed_out';
      reason = `the job exceeded its timeout of ${job.timeoutMinutes} minutes`;
    } else if (ctx.cancelReason !== null) {
      conclusion = 'cancelled';
      reason = ctx.cancelReason;
    } else if (frame.status === 'failure') {
      conclusion = 'failure';
      reason ||= 'a step failed';
    } else {
      conclusion = 'success';
    }
    return { conclusion, outputs, reason: ctx.masker.mask(reason) };
  }

  /**
   * The "Set up job" step: fresh workspace and temp, job env, then all of the job's git work that
   * needs the clone credential — the private mirror (cloneMirror.ts) — after which the credential is
   * gone, then the workspace's checkout at the job's SHA from the mirror, then the warm paths linked
   * into the warm volume (warmPaths.ts). No user step has run yet.
   */
  private async setup(frame: Frame): Promise<boolean> {
    const ctx = this.job;
    const step = '__setup';
    ctx.conn.send({ stepStarted: { step, name: 'Set up job', parent: '', ts: Date.now() } });
    let ok = true;
    // Out of the spec before anything can fail: whatever happens below, no later step finds it.
    let source: CloneSource | null = takeCloneCredential(ctx.spec);
    try {
      rmSync(ctx.workspace, { recursive: true, force: true });
      rmSync(ctx.temp, { recursive: true, force: true });
      mkdirSync(ctx.workspace, { recursive: true });
      mkdirSync(join(ctx.temp, '_runner_file_commands'), { recursive: true });
      mkdirSync(ctx.toolCache, { recursive: true });
      // Job env (workflow env overlaid with job env) is evaluated once, at job start.
      const scope = expressionScope(ctx, frame, {});
      for (const [k, v] of Object.entries(ctx.spec.job.env)) {
        ctx.jobEnv[k] = interpolate(v, { ...scope, contexts: { ...scope.contexts, env: { ...ctx.jobEnv } } });
      }
      const needs = predictCheckouts(ctx, frame);
      for (const c of needs.checkouts) {
        if (c.ref === undefined) ctx.system(step, `##[warning]actions/checkout step ${c.stepId}: its ref cannot be fetched before the steps run (${c.refUnknownBecause}); that step can only check out what is fetched now (the job's commit${needs.full ? ', every branch and tag' : ''})`);
      }
      if (source.basic && needs.checkouts.some((c) => c.submodules)) {
        ctx.system(step, '##[warning]Submodules are fetched by their checkout step from their own URLs without a credential (it is discarded before the first step): private submodules will fail');
      }
      ctx.system(step, `Cloning ${ctx.spec.repository.fullName} at ${ctx.spec.repository.sha}`);
      ctx.mirror = await CloneMirror.prepare(ctx, step, source, needs);
      ok = ctx.mirror !== null && (await checkout(ctx, ctx.mirror, step, ctx.workspace, ctx.mirror.sha, 1, 'false'));
      if (ok) linkWarmPaths(ctx, step);
      if (ok) await fetchActionTrees(ctx, step);
    } catch (err) {
      ctx.system(step, `##[error]${(err as Error).message}`);
      ok = false;
    } finally {
      source = null;
    }
    const result: StepResult = ctx.cancelled ? 'cancelled' : ok ? 'success' : 'failure';
    ctx.conn.send({ stepFinished: { step, exit: -1, outputs: {}, outcome: result, conclusion: result, ts: Date.now(), summary: '' } });
    return ok;
  }

  /**
   * The `pre:` of each top-level JavaScript action, in step order, before the first step, each
   * reported as a step of its own. A failed pre fails the job as a failed step does.
   */
  private async runPreSteps(frame: Frame): Promise<void> {
    const ctx = this.job;
    for (const step of ctx.spec.job.steps) {
      if (step.kind !== 'node-action' || !step.pre) continue;
      const id = `__pre_${step.id}`;
      ctx.conn.send({ stepStarted: { step: id, name: ctx.masker.mask(`Pre ${this.displayName(step, frame)}`), parent: '', ts: Date.now() } });
      let outcome: StepResult = 'skipped';
      let summary = '';
      let exit = -1;
      try {
        const { result } = await runNodeActionPre(ctx, step, frame);
        outcome = result.outcome;
        summary = result.summary;
        exit = result.exit;
      } catch (err) {
        ctx.system(id, `##[error]${(err as Error).message}`);
        outcome = 'failure';
      }
      if (outcome === 'failure') frame.status = 'failure';
      ctx.conn.send({ stepFinished: { step: id, exit, outputs: {}, outcome, conclusion: outcome, ts: Date.now(), summary: ctx.masker.mask(summary) } });
    }
  }

  private displayName(step: Step, frame: Frame): string {
    let name = step.name;
    try {
      name = interpolate(step.name, expressionScope(this.job, frame, {}));
    } catch {
      /* shown as written */
    }
    return withActionSha(step, name);
  }

  /** The actions' post steps, last registered first, each with its own `post-if`. */
  private async runPostSteps(frame: Frame): Promise<void> {
    const ctx = this.job;
    for (const post of [...ctx.postSteps].reverse()) {
      ctx.conn.send({ stepStarted: { step: post.id, name: ctx.masker.mask(post.name), parent: '', ts: Date.now() } });
      let outcome: StepResult = 'skipped';
      let summary = '';
      try {
        if (evaluateCondition(post.if, expressionScope(ctx, frame, {}))) {
          const r = await post.run();
          outcome = r.outcome;
          summary = r.summary;
        }
      } catch (err) {
        ctx.system(post.id, `##[error]${(err as Error).message}`);
        outcome = 'failure';
      }
      if (outcome === 'failure') frame.status = 'failure';
      ctx.conn.send({ stepFinished: { step: post.id, exit: -1, outputs: {}, outcome, conclusion: outcome, ts: Date.now(), summary: ctx.masker.mask(summary) } });
    }
  }

  private async runSteps(steps: Step[], frame: Frame, setupFailed = false): Promise<void> {
    for (const step of steps) await this.runStep(step, frame, setupFailed);
  }

  /** One step of any kind: name, `if:`, env, timeout, then its kind's runner, then the record. */
  private async runStep(step: Step, frame: Frame, setupFailed: boolean): Promise<void> {
    const ctx = this.job;
    const id = frame.prefix + step.id;
    let scope = expressionScope(ctx, frame, {});
    let name = step.name;
    let run: boolean;
    try {
      name = interpolate(step.name, scope);
    } catch {
      /* show the name as written */
    }
    name = withActionSha(step, name);
    let conditionError: string | null = null;
    try {
      run = !setupFailed || /\b(always|failure)\s*\(/.test(step.if ?? '') ? evaluateCondition(step.if, scope) : false;
    } catch (err) {
      conditionError = (err as Error).message;
      run = false;
    }
    ctx.conn.send({ stepStarted: { step: id, name: ctx.masker.mask(name), parent: frame.parent, ts: Date.now() } });
    if (conditionError !== null) {
      ctx.system(id, `##[error]if: ${conditionError}`);
      this.record(frame, step, id, 'failure', false, {}, -1, '');
      return;
    }
    if (!run) {
      this.record(frame, step, id, 'skipped', false, {}, -1, '');
      return;
    }
    const startedCancelled = ctx.cancelled;
    let continueOnError = false;
    let outcome: StepResult = 'success';
    let outputs: Record<string, string> = {};
    let exit = -1;
    let summary = '';
    try {
      continueOnError = evaluateFlag(step.continueOnError, scope);
      // Step env values may reference earlier ones through env.*, as on GitHub.
      const stepEnv: Record<string, string> = {};
      for (const [k, v] of Object.entries(step.env)) {
        stepEnv[k] = interpolate(v, expressionScope(ctx, frame, stepEnv));
      }
      scope = expressionScope(ctx, frame, stepEnv);
      let timeoutMs = step.timeoutMinutes !== null && step.timeoutMinutes > 0 ? timerDelayMs(step.timeoutMinutes * 60_000) : null;
      if (startedCancelled) timeoutMs = Math.min(timeoutMs ?? Infinity, ctx.opts.cleanupMs);
      const saved = ctx.stepStartedCancelled;
      ctx.stepStartedCancelled = startedCancelled;
      const r = await this.execute(step, id, frame, scope, stepEnv, timeoutMs).finally(() => {
        ctx.stepStartedCancelled = saved;
      });
      outcome = r.outcome;
      outputs = r.outputs;
      exit = r.exit;
      summary = r.summary;
    } catch (err) {
      ctx.system(id, `##[error]${(err as Error).message}`);
      outcome = 'failure';
    }
    if (outcome === 'failure' && ctx.cancelled && !startedCancelled) outcome = 'cancelled';
    this.record(frame, step, id, outcome, continueOnError, outputs, exit, summary);
    if (frame.prefix === '' && id === ctx.spec.pauseAfterStep && outcome === 'success') await this.pauseForServer(id);
  }

  /** `JobSpec.pauseAfterStep`: nothing runs until the server acknowledged the step's end (it snapshots the machine meanwhile). */
  private async pauseForServer(id: string): Promise<void> {
    const ctx = this.job;
    ctx.system(id, 'helios: waiting for the server to snapshot this machine (cache-after-prepare)');
    if (!(await ctx.conn.allAcked(PAUSE_TIMEOUT_MS))) ctx.system(id, `helios: the server did not answer within ${PAUSE_TIMEOUT_MS / 60_000} minutes; going on`);
  }

  private record(frame: Frame, step: Step, id: string, outcome: StepResult, continueOnError: boolean, outputs: Record<string, string>, exit: number, summary: string): void {
    const ctx = this.job;
    const conclusion: StepResult = outcome === 'failure' && continueOnError ? 'success' : outcome;
    frame.steps[step.id] = { outputs, outcome, conclusion };
    if (conclusion === 'failure') frame.status = 'failure';
    const masked = Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, ctx.masker.mask(v)]));
    ctx.conn.send({ stepFinished: { step: id, exit, outputs: masked, outcome, conclusion, ts: Date.now(), summary: ctx.masker.mask(summary) } });
  }

  private async execute(step: Step, id: string, frame: Frame, scope: EvalScope, stepEnv: Record<string, string>, timeoutMs: number | null): Promise<StepExecution> {
    switch (step.kind) {
      case 'run':
        return runRunStep(this.job, step, id, frame, scope, stepEnv, timeoutMs);
      case 'composite':
        return runCompositeStep(this.job, step, id, frame, scope, stepEnv, (steps, inner) => this.runSteps(steps, inner));
      case 'builtin':
        return runBuiltinStep(this.job, step, id, scope, timeoutMs);
      case 'node-action':
        // Nested in a composite, the action's pre runs right before it (its inputs exist only then).
        return runNodeActionStep(this.job, step, id, frame, scope, stepEnv, timeoutMs, frame.prefix !== '');
    }
  }
}

/** A remote action's step name carries the commit it runs, so the job page shows what ran. */
function withActionSha(step: Step, name: string): string {
  const action = step.kind === 'node-action' || step.kind === 'composite' ? step.action : undefined;
  return action ? `${name} (${shortSha(action.sha)})` : name;
}
