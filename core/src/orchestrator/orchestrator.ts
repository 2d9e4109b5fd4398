import { resolveJobSecrets } from './jobSecrets.js';
import { environmentApprovalId, type EnvironmentApproval } from './environmentApproval.js';
import { answersNeed } from './workflowCallNeeds.js';
import {
  HeliosError,
  isHeliosError,
  type EventBus,
  type Forge,
  type JobState,
  type Logger,
  type ActionsRuntimeAccess,
  type Machine,
  type Queue,
  type RemoteDispatcher,
  type QueueDelivery,
  type QueueSubscription,
  type RepoRef,
  type RunPlan,
  type Runtime,
  type MachineSize,
  type Secrets,
  type Storage,
  timerDelayMs,
} from '@helios-ci/sdk';
import type { AgentService } from '../agent-service/agentService.js';
import { jobTokenHash } from '../agent-service/jobTokenHash.js';
import type { JobConclusion, JobHandle } from '../agent-service/types.js';
import { isTerminalJobState, type JobRecord, type RunConclusion, type RunRecord, type Store } from '../store/index.js';
import { decideReadyJobs, needsContext, type GraphJob } from './jobGraph.js';
import { buildJobSpec, githubContext } from './jobSpecBuilder.js';
import { closeJobToken, openJobToken } from './jobToken.js';
import { StoreJobSink } from './jobSink.js';
import { selectRuntime } from './runtimeSelector.js';
import { cloneAccessFor, sourceDirOf } from './runSources.js';
import { admissionJob } from './concurrencyGroups.js';
import { admit, type AdmissionInput, type AdmissionJob } from './admission.js';
import { reconcile } from './reconciler.js';
import { failedWithDependents, rerunPlans } from './rerunSelection.js';
import type { Reporter } from '../reporter/index.js';
import type { Redactor } from '../kernel/redactor.js';
import { systemClock, type Clock } from '../clock/clock.js';
import { backoffDelay } from '../reporter/backoff.js';
import { reconcileWarm, WarmVolumes, type WarmSession } from './warmVolumes.js';
import { consoleMasker, pumpConsole } from './consolePump.js';
import { SeqRecordingSink } from './seqRecordingSink.js';
import type { JobAgentRecord } from '../store/index.js';
import type { EgressService } from '../egress/egressService.js';
import type { EgressConfig } from '../egress/egressConfig.js';
import { openJobEgress, type JobEgress } from '../egress/jobEgress.js';
import { vmactionsMachineSize } from '../workflow/vmactionsShim.js';
import { PreparedStart } from './preparedStart.js';

export interface OrchestratorOptions {
  store: Store;
  queue: Queue;
  runtimes: readonly Runtime[];
  forges: readonly Forge[];
  secrets: Secrets | null;
  /** Warm volumes for labels with warm paths (and, elsewhere, caches and artifacts); null: none configured. */
  storage?: Storage | null;
  /** The branch every run may read warm heads of (config caches.defaultBranch; default main). */
  defaultBranch?: string;
  agents: AgentService;
  /** The egress proxy and helios.yaml's egress policies; absent: jobs get no proxy. */
  egress?: { service: EgressService; config: EgressConfig } | null;
  /** Opens forge checks for forge runs (job progress reaches it through the event bus). */
  reporter: Reporter | null;
  /** Job secret values are added here so no server log or error can print them. */
  redactor: Redactor;
  events: EventBus;
  logger: Logger;
  /** Jobs running at once on this host. */
  concurrentJobs: number;
  /** Link target for job pages (`<publicUrl>/jobs/<id>`). */
  publicUrl: string;
  /** The actions runtime services' URLs and a token for a job (JobSpec.actionsRuntime); null without a Storage. */
  actionsRuntime?: ((runId: string, jobId: string) => ActionsRuntimeAccess) | null;
  /**
   * Removes what a crash left in the Storage backend (reconcileStorage), given the jobs still live;
   * called at start after the machines are reconciled. Absent: no Storage, or nothing to reconcile.
   */
  reconcileStorage?: ((liveJobIds: ReadonlySet<string>) => Promise<unknown>) | null;
  /** After a restart, re-queue jobs that were running instead of marking them errored. */
  requeueOnRestart?: boolean;
  /** Extra time past a job's timeout-minutes before the orchestrator itself cancels it. */
  timeoutGraceMs?: number;
  /** Time a cancelled job's agent gets to stop before the machine is destroyed anyway. */
  cancelGraceMs?: number;
  /** Every wait (timeouts, retries, shutdown) goes through it; tests inject a ManualClock. */
  clock?: Clock;
  /**
   * A forge call at dispatch (clone access) failing with a retryable error is tried this many
   * times in all, with exponential backoff between `baseMs` and `maxMs` (default 5, 1 s, 30 s).
   */
  dispatchRetry?: { attempts: number; baseMs: number; maxMs: number; random?: () => number };
  /** Environments whose jobs wait for a writer's approval (helios.yaml `environments`); absent: none. */
  environmentApproval?: EnvironmentApproval;
}

export interface SubmitRunInput {
  plan: RunPlan;
  repo: RepoRef;
  sha: string;
  ref: string;
  forge: string | null;
  trusted: boolean;
  inboxId?: number | null;
  id?: string;
}

/** A job re-adopted at start-up: what control kept, and the call saying it is registered again. */
interface Adopted {
  kept: JobAgentRecord;
  taken(): void;
}

interface ActiveJob {
  handle: JobHandle | null;
  cancelRequested: { state: JobState; reason: string } | null;
}

const CONCLUSION_STATE: Record<JobConclusion, JobState> = {
  success: 'succeeded',
  failure: 'failed',
  cancelled: 'cancelled',
  timed_out: 'timed_out',
  errored: 'errored',
};

/**
 * The heart of Helios: runs become queued jobs, jobs become machines with agents, agent events
 * become store rows and kernel events, and every job ends in a final state with its machine gone —
 * on every path. All state lives in the store, so a restart picks up where the crash left off.
 */
export class Orchestrator {
  private readonly active = new Map<string, ActiveJob>();
  private subscription: QueueSubscription | null = null;
  private accepting = false;
  private readonly runWaiters = new Map<string, ((run: RunRecord) => void)[]>();
  private readonly clock: Clock;
  private readonly warm: WarmVolumes;

  constructor(private readonly o: OrchestratorOptions) {
    this.clock = o.clock ?? systemClock;
    this.warm = new WarmVolumes({ store: o.store, storage: o.storage ?? null, logger: o.logger, defaultBranch: o.defaultBranch ?? 'main' });
  }

  /** The runtime's size for the label, made smaller when a vmactions step asks for less (`mem`/`cpu`). */
  private machineSize(runtime: Runtime, label: string, job: JobRecord, sink: StoreJobSink): MachineSize {
    const { size, note } = vmactionsMachineSize(runtime.machineSize(label), job.plan);
    if (note) sink.system(`Helios: ${note}`);
    return size;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.clock.setTimer(ms, resolve));
  }

  /** Reconciles what a crash left behind, then starts taking jobs from the queue. */
  async start(): Promise<void> {
    const taking: Promise<void>[] = [];
    await reconcile({
      store: this.o.store,
      runtimes: this.o.runtimes,
      logger: this.o.logger,
      requeueOnRestart: this.o.requeueOnRestart ?? false,
      errorJob: (job, reason) => this.finishJob(job, 'errored', reason),
      advance: (runId) => this.advance(runId),
      teardownFailed: (runtime, m, err) => this.o.events.emit('machine.teardownFailed', { runtime: runtime.id, machine: m.id, jobId: m.jobId, error: (err as Error).message }),
      adopt: (job) => this.adopt(job, taking),
    });
    // Agents and workers asking about a job are answered once every adopted job is registered again.
    await Promise.all(taking);
    // Test doubles of the agent service may predate re-adoption.
    (this.o.agents as Partial<AgentService>).adoptionsDone?.();
    for (const runtime of this.o.runtimes) (runtime as Partial<RemoteDispatcher>).reconciled?.();
    if (this.o.reconcileStorage) await this.o.reconcileStorage(new Set(this.o.store.jobs.listByState('provisioning', 'running').map((j) => j.id)));
    if (this.o.storage) await reconcileWarm(this.o.store, this.o.storage, this.o.logger);
    this.accepting = true;
    this.subscription = await this.o.queue.consume(this.o.concurrentJobs, (d) => this.handleDelivery(d));
  }

  /** Stops taking jobs; running ones get `graceMs` to finish, then are cancelled and torn down. */
  async stop(graceMs: number): Promise<void> {
    this.accepting = false;
    await this.subscription?.close();
    this.subscription = null;
    const deadline = this.clock.now() + graceMs;
    while (this.active.size > 0 && this.clock.now() < deadline) await this.sleep(50);
    for (const [jobId, a] of this.active) {
      a.cancelRequested ??= { state: 'cancelled', reason: 'Helios is shutting down' };
      a.handle?.cancel('Helios is shutting down');
      this.o.logger.warn('cancelling job at shutdown', { jobId });
    }
    const hard = this.clock.now() + (this.o.cancelGraceMs ?? 10_000) + 2000;
    while (this.active.size > 0 && this.clock.now() < hard) await this.sleep(50);
  }

  /** Stores a planned run with its jobs, cancels what its concurrency groups displace, queues what is ready. */
  submitRun(input: SubmitRunInput): RunRecord {
    const { run, jobs } = this.o.store.runs.create({
      id: input.id,
      inboxId: input.inboxId ?? null,
      forge: input.forge,
      repo: input.repo,
      sha: input.sha,
      ref: input.ref,
      event: input.plan.event.name,
      trusted: input.trusted,
      plan: input.plan,
    });
    for (const job of jobs) this.o.store.steps.declare(job.id, job.plan.steps.map((s) => s.name));
    this.o.events.emit('run.planned', { runId: run.id, plan: input.plan });
    if (run.forge !== null && this.o.reporter) this.openChecks(run, jobs);
    for (const job of jobs) this.o.events.emit('job.queued', { runId: run.id, jobId: job.id, job: job.plan });
    this.applyConcurrency(run, jobs);
    void this.advance(run.id);
    return run;
  }

  /** One check per job; each invalid workflow becomes a failed check carrying its problems. */
  private openChecks(run: RunRecord, jobs: JobRecord[]): void {
    const reporter = this.o.reporter!;
    const base = { runId: run.id, repo: run.repo, sha: run.sha };
    for (const job of jobs) {
      reporter.jobQueued({
        jobId: job.id,
        forge: run.forge!,
        checkJob: { ...base, jobId: job.id, workflowName: job.plan.workflow.name, workflowFile: job.plan.workflow.file, jobName: job.plan.name, detailsUrl: `${this.o.publicUrl}/jobs/${job.id}` },
      });
    }
    const byFile = groupBy(run.plan.problems, (p) => p.file);
    for (const [file, problems] of byFile) {
      const summary = problems.map((p) => `- \`${p.file}:${p.line ?? 1}:${p.col ?? 1}\`: ${p.message}`).join('\n');
      reporter.standaloneCheck({
        checkId: `${run.id}:${file}`,
        forge: run.forge!,
        checkJob: { ...base, jobId: `${run.id}:${file}`, workflowName: file, workflowFile: file, jobName: 'invalid workflow', detailsUrl: `${this.o.publicUrl}/runs/${run.id}` },
        result: { conclusion: 'failure', title: `${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}`, summary },
      });
    }
  }

  /** Resolves when the run is completed (immediately if it already is). */
  waitForRun(runId: string): Promise<RunRecord> {
    const run = this.o.store.runs.get(runId);
    if (!run) return Promise.reject(new HeliosError('E_RUN_NOT_FOUND', `run ${runId} does not exist`));
    if (run.state === 'completed') return Promise.resolve(run);
    return new Promise((resolve) => {
      const list = this.runWaiters.get(runId) ?? [];
      list.push(resolve);
      this.runWaiters.set(runId, list);
    });
  }

  /** Cancels one job: a queued job at once, a running one through its agent. Idempotent. */
  cancelJob(jobId: string, reason: string, state: JobState = 'cancelled'): JobRecord {
    const job = this.o.store.jobs.require(jobId);
    if (isTerminalJobState(job.state)) return job;
    const active = this.active.get(jobId);
    if (active) {
      active.cancelRequested ??= { state, reason };
      active.handle?.cancel(reason);
      return job;
    }
    if (job.state === 'queued') {
      const done = this.finishJob(job, state, reason);
      void this.advanceAfter(done);
      return done;
    }
    return job;
  }

  cancelRun(runId: string, reason: string): void {
    for (const job of this.o.store.jobs.listUnfinishedByRun(runId)) this.cancelJob(job.id, reason);
  }

  /** A new run of the same commit with just this job (needs outputs are not carried over). */
  rerunJob(jobId: string): RunRecord {
    const job = this.o.store.jobs.require(jobId);
    return this.rerunJobs(job.runId, [job]);
  }

  /**
   * Re-runs a run: `all` its jobs, or the `failed` ones and every job that needs them
   * (rerunSelection.ts). The new run has the same commit, event and trust.
   */
  rerunRun(runId: string, scope: 'all' | 'failed'): RunRecord {
    const jobs = this.o.store.jobs.listByRun(runId);
    const chosen = scope === 'all' ? jobs : failedWithDependents(jobs);
    if (chosen.length === 0) throw new HeliosError('E_NOTHING_TO_RERUN', `run ${runId} has no failed jobs; use scope "all" to run it again`);
    return this.rerunJobs(runId, chosen);
  }

  private rerunJobs(runId: string, jobs: JobRecord[]): RunRecord {
    const prev = this.o.store.runs.get(runId)!;
    const plans = rerunPlans(jobs);
    const files = new Set(plans.map((p) => p.workflow.file));
    return this.submitRun({
      plan: { ...prev.plan, jobs: plans, workflows: prev.plan.workflows.filter((w) => files.has(w.file)), problems: [] },
      repo: prev.repo,
      sha: prev.sha,
      ref: prev.ref,
      forge: prev.forge,
      trusted: prev.trusted,
    });
  }

  /**
   * Sends every job whose needs have finished to the queue (or skips it when its `if:` is false),
   * repeating while skips unlock more, and completes the run once every job is final.
   */
  async advance(runId: string): Promise<void> {
    const run = this.o.store.runs.get(runId);
    if (!run || run.state === 'completed') return;
    for (let changed = true; changed; ) {
      changed = false;
      const jobs = this.o.store.jobs.listByRun(runId);
      const waiting = new Set(jobs.filter((j) => j.state === 'queued').map((j) => j.id));
      const byWorkflow = groupBy(jobs, (j) => j.plan.workflow.file);
      const cancelled = jobs.some((j) => j.state === 'cancelled');
      for (const workflowJobs of byWorkflow.values()) {
        const decisions = decideReadyJobs(workflowJobs as GraphJob[], waiting, {
          github: githubContext(run, null, this.o.publicUrl),
          inputs: run.plan.event.inputs ?? {},
          vars: {},
          cancelled,
        });
        for (const d of decisions) {
          const job = workflowJobs.find((j) => j.id === d.jobId)!;
          if (d.action === 'skip') {
            this.finishJob(job, 'skipped', d.reason);
            changed = true;
          } else if (!this.heldForEnvironment(run, job)) {
            await this.o.queue.publish({ jobId: job.id, labels: job.plan.runsOn });
          }
        }
      }
    }
    this.completeIfDone(runId);
  }

  /**
   * A ready job of an environment that requires approval stays queued (not sent to the queue) until
   * a user with write access approves its hold — the fork pull request mechanism: an approval row,
   * an "approve" forge event or the approval page, the forge's permission checked by the planner.
   * Approving calls `advance` again, which sends it. Local runs (`helios run`) have no forge to ask:
   * the operator running them is the approver.
   */
  private heldForEnvironment(run: RunRecord, job: JobRecord): boolean {
    const env = job.plan.environment;
    if (!env || !this.o.environmentApproval?.(env.name) || !run.forge) return false;
    const id = environmentApprovalId(job.id);
    const existing = this.o.store.approvals.forJob(job.id);
    if (existing?.state === 'approved') return false;
    if (existing) return true;
    if (run.inboxId === null || run.inboxId === undefined) {
      this.finishJob(job, 'errored', `environment ${env.name} requires approval, which needs a run started by a forge event; this run has none`);
      return true;
    }
    this.o.store.approvals.holdJob({ id, forge: run.forge, repo: run.repo, headSha: run.sha, inboxId: run.inboxId, runId: run.id, jobId: job.id, environment: env.name });
    this.o.logger.info('job held for environment approval', { jobId: job.id, environment: env.name, approval: id });
    this.o.reporter?.approvalRequested({
      checkId: id,
      forge: run.forge,
      checkJob: {
        jobId: id,
        runId: run.id,
        repo: run.repo,
        sha: run.sha,
        workflowName: job.plan.workflow.name,
        jobName: `Approve ${job.name} (environment ${env.name})`,
        detailsUrl: `${this.o.publicUrl}/approvals/${encodeURIComponent(id)}`,
        awaitingApproval: true,
      },
    });
    return true;
  }

  /**
   * What one job reaching a final state can change, without reading the run's other jobs: when it
   * was the last unfinished instance of a job key that another job needs, the dependents are decided
   * (a full `advance`); otherwise only whether the run is now complete (one indexed lookup).
   */
  private async advanceAfter(finished: JobRecord): Promise<void> {
    const run = this.o.store.runs.get(finished.runId);
    if (!run || run.state === 'completed') return;
    const { file } = finished.plan.workflow;
    const key = finished.plan.jobKey;
    // A job of a called workflow (`call/job`) answers needs on its caller key (`call`).
    const needed = run.plan.jobs.some((p) => p.workflow.file === file && p.needs.some((n) => answersNeed(key, n)));
    if (needed && !this.o.store.jobs.hasUnfinishedInstance(run.id, file, key)) return this.advance(run.id);
    this.completeIfDone(run.id);
  }

  /** Completes the run once none of its jobs can change any more (reads them all only then). */
  private completeIfDone(runId: string): void {
    if (this.o.store.jobs.hasUnfinished(runId)) return;
    const current = this.o.store.runs.get(runId)!;
    if (current.state === 'completed') return;
    const jobs = this.o.store.jobs.listByRun(runId);
    const completed = this.o.store.runs.complete(runId, current.plan.problems.length ? 'failure' : runConclusion(jobs));
    this.o.events.emit('run.finished', { runId, conclusion: completed.conclusion! });
    for (const resolve of this.runWaiters.get(runId) ?? []) resolve(completed);
    this.runWaiters.delete(runId);
  }

  private async handleDelivery(delivery: QueueDelivery): Promise<void> {
    const job = this.o.store.jobs.get(delivery.message.jobId);
    if (!job || job.state !== 'queued' || !this.accepting) {
      await (job && job.state === 'queued' ? delivery.nack(1000) : delivery.ack());
      return;
    }
    const decision = this.decide({ candidates: [admissionJob(this.o.store, job)] });
    if (decision.start.length === 0) {
      this.o.logger.debug('job waits', { jobId: job.id, reason: decision.wait[0]?.reason });
      await delivery.nack(500);
      return;
    }
    this.active.set(job.id, { handle: null, cancelRequested: null });
    try {
      await this.runJob(job);
    } catch (err) {
      this.o.logger.error('job failed inside the orchestrator', { jobId: job.id, error: err });
      const current = this.o.store.jobs.get(job.id);
      if (current && !isTerminalJobState(current.state)) {
        this.finishJob(current, 'errored', `Helios failed to run the job: ${(err as Error).message}`);
      }
    } finally {
      this.active.delete(job.id);
      await delivery.ack();
      await this.advanceAfter(this.o.store.jobs.get(job.id) ?? job);
    }
  }

  /**
   * Admission (admission.ts); cancellations it decides are applied here. Only the jobs a rule can
   * look at are read: for candidates the active ones (at most the host's capacity), for a fail-fast
   * failure its run's unfinished jobs, for an arriving run in concurrency groups every unfinished job.
   */
  private decide(input: Omit<AdmissionInput, 'jobs' | 'capacity'>): ReturnType<typeof admit> {
    const runs = new Map<string, RunRecord | undefined>();
    const records = new Map<string, JobRecord>();
    const read = (list: JobRecord[]) => list.forEach((j) => records.set(j.id, j));
    // In the order admission would see them all: creation order within a run.
    for (const f of input.failed ?? []) if (!f.continueOnError && ((f.failFast && f.matrixKey !== null) || f.callMatrices?.some((m) => m.failFast))) read(this.o.store.jobs.listUnfinishedByRun(f.runId));
    if (input.arrived?.some((j) => j.groups.length > 0)) read(this.o.store.jobs.listByState('queued', 'provisioning', 'running'));
    else read(this.o.store.jobs.listByState('provisioning', 'running'));
    const jobs: AdmissionJob[] = [...records.values()].map((j) => admissionJob(this.o.store, j, runs));
    const decision = admit({ ...input, jobs, capacity: this.o.concurrentJobs });
    for (const c of decision.cancel) this.cancelJob(c.jobId, c.reason);
    return decision;
  }

  private async runJob(queued: JobRecord): Promise<void> {
    const run = this.o.store.runs.get(queued.runId)!;
    const active = this.active.get(queued.id)!;
    let runtime: Runtime;
    try {
      runtime = selectRuntime(this.o.runtimes, queued.plan.runsOn);
    } catch (err) {
      this.finishJob(queued, 'errored', (err as Error).message);
      return;
    }
    let job = this.o.store.jobs.transition(queued.id, 'provisioning');
    const sink = new StoreJobSink(this.o.store, this.o.events, run.id, job.id, job.plan);
    sink.system(`Helios: job ${job.plan.name} on runtime ${runtime.id} (runs-on: ${job.plan.runsOn.join(', ')})`);
    const vm = job.plan.vmactions;
    if (vm) sink.system(`Helios: ${vm.uses} release ${vm.release} runs natively on ${vm.label} (helios.yaml vmactions.${vm.os}.${vm.matched}); steps with shell: ${vm.shell} {0} run with sh`);
    for (const note of vm?.notes ?? []) sink.system(`Helios: ${vm!.uses} ${note}`);

    let secrets: Record<string, string> = {};
    try {
      if (run.trusted && this.o.secrets && job.plan.secretNames.length) {
        secrets = await resolveJobSecrets(this.o.secrets, { repo: `${run.repo.owner}/${run.repo.name}`, event: run.event }, job.plan);
      }
    } catch (err) {
      // A missing, refused or unreachable secret fails the job here, before any machine exists;
      // backends never put values in their messages, the redactor masks anything known anyway.
      const reason = this.o.redactor.redact(`secrets: ${isHeliosError(err) ? `${err.code}: ` : ''}${(err as Error).message}`);
      sink.system(`Helios: ${reason}`);
      this.finishJob(job, 'errored', reason);
      return;
    }
    for (const value of Object.values(secrets)) this.o.redactor.add(value);
    if (!run.trusted && job.plan.secretNames.some((n) => n !== 'GITHUB_TOKEN')) sink.system('Helios: this run is untrusted (fork pull request): no secrets are given to it');
    const clone = await this.cloneAccessWithRetry(run, sink, active);
    if (!clone.ok) {
      this.finishJob(job, active.cancelRequested?.state ?? 'errored', active.cancelRequested?.reason ?? clone.reason);
      return;
    }
    const jobToken = await openJobToken(run, job.plan, this.o.forges, sink, this.o.logger);
    if (jobToken) {
      this.o.redactor.add(jobToken.token);
      secrets = { ...secrets, GITHUB_TOKEN: jobToken.token };
    }
    const label = job.plan.runsOn[0] ?? 'local';
    let machineGone = false;
    try {
      const warm = await this.warm.open(run, job, runtime, label, sink);
      try {
        machineGone = await this.runMachine(run, job, runtime, label, sink, active, secrets, clone.access, warm);
      } finally {
        // Only once the machine is destroyed does nothing write the volume any more.
        if (warm) await this.warm.close(warm, run, this.o.store.jobs.require(job.id), machineGone, sink);
      }
    } finally {
      await closeJobToken(jobToken, this.o.logger, job.id);
    }
  }

  /**
   * At start-up (reconciliation), a job that was running on another host when control stopped: when
   * control kept its agent token hash and machine (job_agents) and the runtime can adopt machines,
   * the job is taken up again in the background — the agent service waits up to its heartbeat
   * timeout (limits.agentLostSeconds) for the agent to resume its stream, the dispatcher owns the
   * machine again — and true is returned. A job lost then is retried or errored as any lost host.
   */
  private adopt(job: JobRecord, taking: Promise<void>[]): boolean {
    const kept = this.o.store.jobAgents.get(job.id);
    if (!kept || kept.machineId === null) return false;
    let runtime: Runtime;
    try {
      runtime = selectRuntime(this.o.runtimes, job.plan.runsOn);
    } catch {
      return false;
    }
    if (!isAdoptable(runtime)) return false;
    const active: ActiveJob = { handle: null, cancelRequested: null };
    this.active.set(job.id, active);
    this.o.logger.info('re-adopting a job running on another host', { jobId: job.id, machine: kept.machineId, lastSeq: kept.lastSeq });
    let taken!: () => void;
    taking.push(new Promise<void>((r) => (taken = r)));
    void this.runAdopted(job, { kept, taken }, runtime, active);
    return true;
  }

  private async runAdopted(job: JobRecord, adopted: Adopted, runtime: Runtime, active: ActiveJob): Promise<void> {
    const run = this.o.store.runs.get(job.runId)!;
    const sink = new StoreJobSink(this.o.store, this.o.events, run.id, job.id, job.plan);
    sink.system('Helios restarted while this job was running on another host; waiting for its agent to resume');
    try {
      let secrets: Record<string, string> = {};
      try {
        if (run.trusted && this.o.secrets && job.plan.secretNames.length) {
          secrets = await resolveJobSecrets(this.o.secrets, { repo: `${run.repo.owner}/${run.repo.name}`, event: run.event }, job.plan);
        }
      } catch (err) {
        // Only masking is at stake (the agent has its values and masks first); a retry gets none.
        this.o.logger.warn('secrets not resolved for a re-adopted job; its output is masked by the agent only', { jobId: job.id, error: this.o.redactor.redact((err as Error).message) });
      }
      for (const value of Object.values(secrets)) this.o.redactor.add(value);
      const clone = await this.cloneAccessWithRetry(run, sink, active);
      // The resumed agent has cloned already; only a retry on another host needs fresh access.
      const access = clone.ok ? clone.access : { url: '' };
      const label = job.plan.runsOn[0] ?? 'local';
      await this.runMachine(run, job, runtime, label, sink, active, secrets, access, null, adopted);
    } catch (err) {
      this.o.logger.error('re-adopted job failed inside the orchestrator', { jobId: job.id, error: err });
      const current = this.o.store.jobs.get(job.id);
      if (current && !isTerminalJobState(current.state)) this.finishJob(current, 'errored', `Helios failed to run the job: ${(err as Error).message}`);
    } finally {
      adopted.taken();
      this.active.delete(job.id);
      await this.advance(job.runId);
    }
  }

  /**
   * Runs the job's machine (runAttempt); a job whose host was lost (remote runtimes: the worker died)
   * is started again up to the runtime's `retryLostHost` times, else it ends errored as before.
   */
  private async runMachine(run: RunRecord, job: JobRecord, runtime: Runtime, label: string, sink: StoreJobSink, active: ActiveJob, secrets: Record<string, string>, cloneAccess: { url: string; token?: string }, warm: WarmSession | null, adopted: Adopted | null = null): Promise<boolean> {
    const retries = retryLostHostOf(runtime);
    for (let attempt = 1; ; attempt++) {
      const r = await this.runAttempt(run, job, runtime, label, sink, active, secrets, cloneAccess, warm, attempt <= retries, attempt === 1 ? adopted : null);
      if (r !== 'retry') return r;
      sink.system(`Helios: the host running this job was lost; starting it again on another host (retry ${attempt} of ${retries})`);
      this.o.store.steps.restart(job.id);
      sink.restart();
    }
  }

  /**
   * Registers the job with the agent service, provisions its machine, waits for the end, destroys
   * the machine. True when no machine is left (never made, or destroyed); 'retry' when the agent was
   * lost with its host and `mayRetry` (the job is not finished then).
   */
  private async runAttempt(run: RunRecord, job: JobRecord, runtime: Runtime, label: string, sink: StoreJobSink, active: ActiveJob, secrets: Record<string, string>, cloneAccess: { url: string; token?: string }, warm: WarmSession | null, mayRetry: boolean, adopted: Adopted | null): Promise<boolean | 'retry'> {
    // Only the instances of the keys it needs (index jobs_run_key_state), not the whole run.
    const needed = job.plan.needs.flatMap((key) => {
      const instances = this.o.store.jobs.listInstances(run.id, job.plan.workflow.file, key);
      // No job has the key: it called a reusable workflow, whose jobs answer for it.
      return instances.length ? instances : this.o.store.jobs.listByRun(run.id).filter((j) => j.plan.workflow.file === job.plan.workflow.file && answersNeed(j.plan.jobKey, key));
    });
    const actionsAccess = this.o.actionsRuntime ? this.o.actionsRuntime(run.id, job.id) : null;
    const prepared = await PreparedStart.open(runtime, label, job.id, job.plan, sink);
    const spec = buildJobSpec({ run, jobId: job.id, plan: prepared.plan, needs: needsContext(needed as GraphJob[], job.plan), secrets, clone: cloneAccess, publicUrl: this.o.publicUrl, ...(warm ? { warmPaths: warm.paths } : {}), ...(actionsAccess ? { actionsRuntime: actionsAccess } : {}) });
    if (prepared.pauseAfterStep) spec.pauseAfterStep = prepared.pauseAfterStep;
    // Jobs on other hosts keep what a restarted control needs to re-adopt them (job_agents).
    const adoptable = isAdoptable(runtime);
    const agentSink = adoptable ? new SeqRecordingSink(sink, this.o.store, job.id) : sink;
    // A credential per attempt, derived from its agent token's hash (so a re-adopted job keeps the one
    // its steps hold), dead once the attempt ends (finally below).
    const openEgress = (tokenHash: string): JobEgress | null => (this.o.egress ? openJobEgress({ ...this.o.egress, run, jobId: job.id, label, cloneUrl: cloneAccess.url, tokenHash, sink, events: this.o.events }) : null);
    let egress: JobEgress | null = null;
    let handle: JobHandle;
    if (adopted) {
      egress = openEgress(adopted.kept.tokenHash);
      handle = this.o.agents.adoptJob(spec, agentSink, { tokenHash: adopted.kept.tokenHash, lastSeq: adopted.kept.lastSeq, ...(egress ? { egressCredential: egress.credential } : {}) });
    } else {
      const opened: { egress: JobEgress | null } = { egress: null };
      handle = this.o.agents.registerJob(spec, agentSink, this.o.egress ? { egressCredentialFor: (tokenHash) => (opened.egress = openEgress(tokenHash))!.credential } : {});
      egress = opened.egress;
      if (adoptable) this.o.store.jobAgents.register(job.id, jobTokenHash(handle.token));
    }
    const machineEgress = egress ? { proxy: egress.proxy, grant: egress.grant, report: egress.report } : null;
    active.handle = handle;
    if (active.cancelRequested) handle.cancel(active.cancelRequested.reason);

    let machine: Machine | null = null;
    sink.afterStep = (step, conclusion) => prepared.stepFinished(step, conclusion);
    let machineGone = true;
    // Clamped: minutes past the timer's range would overflow and time the job out at once.
    const timeoutMs = timerDelayMs(job.plan.timeoutMinutes * 60_000 + (this.o.timeoutGraceMs ?? 60_000));
    const clearTimer = this.clock.setTimer(timeoutMs, () => {
      sink.system(`Helios: the job exceeded timeout-minutes (${job.plan.timeoutMinutes}); cancelling it`);
      active.cancelRequested ??= { state: 'timed_out', reason: `exceeded timeout-minutes (${job.plan.timeoutMinutes})` };
      handle.cancel('job timeout');
    });
    try {
      try {
        if (adopted) {
          machine = { id: adopted.kept.machineId!, jobId: job.id, label: adopted.kept.label ?? label };
          (runtime as RemoteDispatcher).adopt!(machine, machineEgress ? { egress: machineEgress } : {});
          sink.agentConnected = true;
          adopted.taken();
        } else {
        this.o.store.jobTimings.start(job.id, Date.now());
        machine = await runtime.provision({
          jobId: job.id,
          label,
          ...this.machineSize(runtime, label, job, sink),
          volumes: warm ? [warm.volume] : [],
          agent: { endpoint: this.o.agents.endpoint, token: handle.token },
          ...(machineEgress ? { egress: machineEgress } : {}),
          // The machine must be let through to the services its steps' ACTIONS_RESULTS_URL names.
          ...(actionsAccess ? { actionsRuntime: { endpoint: new URL(actionsAccess.resultsUrl).host } } : {}),
          ...sourceDirOf(cloneAccess.url),
          // The runtime keeps what an untrusted run writes away from trusted jobs (a shared tool cache).
          trusted: run.trusted,
          ...(prepared.prepared !== null && { prepared: prepared.prepared }),
          onMilestone: (m) => this.o.store.jobTimings.mark(job.id, m, Date.now()),
          agentConnected: sink.hello,
          onFailed: (err) => {
            const now = this.o.store.jobs.require(job.id).state;
            if ((now !== 'provisioning' && now !== 'running') || sink.finished || active.cancelRequested) return;
            // Masked like the console: the message may quote the guest's console.
            const what = consoleMasker(secrets, handle.token).mask(`${isHeliosError(err) ? `${err.code}: ` : ''}${err.message}`);
            sink.system(`Helios: the machine failed: ${what}`);
            active.cancelRequested = { state: 'errored', reason: `machine failed: ${what.split('\n')[0]}` };
            handle.cancel(active.cancelRequested.reason);
          },
          // A worker lost before its agent connected: the same path as an agent lost with its host.
          onHostLost: (reason) => handle.lose(reason),
        });
        if (adoptable) this.o.store.jobAgents.setMachine(job.id, machine.id, machine.label);
        }
        if (runtime.console) void pumpConsole(runtime.console(machine), sink, consoleMasker(secrets, handle.token), this.o.logger);
      } catch (err) {
        // The host that took the job was lost while making its machine (onHostLost came first).
        if (isHeliosError(err) && err.code === 'E_HOST_LOST' && sink.lostReason !== null && sink.finished === null && !active.cancelRequested) {
          if (mayRetry) return 'retry';
          this.finishJob(job, 'errored', sink.lostReason);
          return true;
        }
        handle.cancel('provisioning failed');
        sink.system(`Helios: provisioning failed: ${(err as Error).message}`);
        this.finishJob(job, 'errored', `provisioning failed: ${isHeliosError(err) ? `${err.code}: ` : ''}${(err as Error).message}`);
        return true;
      }
      if (this.o.store.jobs.require(job.id).state !== 'running') job = this.o.store.jobs.transition(job.id, 'running');
      this.o.events.emit('job.started', { runId: run.id, jobId: job.id });
      const conclusion = await handle.done;
      const requested = active.cancelRequested;
      if (mayRetry && conclusion === 'errored' && sink.lostReason !== null && sink.finished === null && !requested) return 'retry';
      let state = CONCLUSION_STATE[conclusion];
      let reason = sink.finished?.reason ?? sink.lostReason ?? null;
      if (requested && (conclusion === 'cancelled' || conclusion === 'errored')) {
        state = requested.state;
        reason = requested.reason;
      }
      this.finishJob(job, state, reason ?? undefined, sink.finished?.outputs);
      if (state === 'failed') this.decide({ failed: [admissionJob(this.o.store, job)] });
    } finally {
      clearTimer();
      egress?.revoke();
      sink.afterStep = null;
      await prepared.settled();
      if (machine) machineGone = await this.destroy(runtime, machine, sink);
      if (adoptable) this.o.store.jobAgents.delete(job.id);
    }
    return machineGone;
  }

  /**
   * The forge's clone credential, retried with backoff (on the Clock) while the forge says its
   * failure is passing (`retryable`); then the job errors with the forge's own reason.
   */
  private async cloneAccessWithRetry(run: RunRecord, sink: StoreJobSink, active: ActiveJob): Promise<{ ok: true; access: { url: string; token?: string } } | { ok: false; reason: string }> {
    const r = this.o.dispatchRetry ?? { attempts: 5, baseMs: 1000, maxMs: 30_000 };
    for (let attempt = 1; ; attempt++) {
      try {
        return { ok: true, access: await cloneAccessFor(run, this.o.forges) };
      } catch (err) {
        const what = `${isHeliosError(err) ? `${err.code}: ` : ''}${(err as Error).message}`;
        if (!isHeliosError(err) || !err.retryable) return { ok: false, reason: `could not get clone access: ${what}` };
        if (attempt >= r.attempts) return { ok: false, reason: `could not get clone access after ${attempt} attempts; last error ${what}` };
        if (active.cancelRequested) return { ok: false, reason: active.cancelRequested.reason };
        const delay = Math.max(err.retryAfterMs ?? 0, backoffDelay(attempt, { baseMs: r.baseMs, maxMs: r.maxMs, random: r.random ?? Math.random }));
        sink.system(`Helios: the forge failed at dispatch (${what}); retrying in ${Math.ceil(delay / 1000)} s (attempt ${attempt} of ${r.attempts})`);
        this.o.logger.warn('clone access failed; retrying', { runId: run.id, attempt, retryInMs: delay, error: what });
        await this.sleep(delay);
      }
    }
  }

  private async destroy(runtime: Runtime, machine: Machine, sink: StoreJobSink): Promise<boolean> {
    try {
      await runtime.destroy(machine);
      return true;
    } catch (err) {
      // Reconciliation at the next start destroys what is left; the job result stands.
      sink.system(`Helios: destroying machine ${machine.id} failed: ${isHeliosError(err) ? `${err.code}: ` : ''}${(err as Error).message}`);
      this.o.logger.error('machine destroy failed', { machine: machine.id, error: err });
      this.o.events.emit('machine.teardownFailed', { runtime: runtime.id, machine: machine.id, jobId: machine.jobId, error: (err as Error).message });
      return false;
    }
  }

  /**
   * concurrency groups (scoped by forge + repository): with cancel-in-progress, other runs' jobs of
   * the group are cancelled; without it, only the newest pending job waits (older pending ones are
   * cancelled), as on GitHub. A workflow group is held by a whole run, a job group by one job.
   */
  private applyConcurrency(run: RunRecord, jobs: JobRecord[]): void {
    const runs = new Map<string, RunRecord | undefined>([[run.id, run]]);
    this.decide({ arrived: jobs.map((j) => admissionJob(this.o.store, j, runs)) });
  }

  private finishJob(job: JobRecord, state: JobState, reason?: string, outputs?: Record<string, string>): JobRecord {
    const done = this.o.store.jobs.transition(job.id, state, { ...(reason ? { reason } : {}), ...(outputs ? { outputs } : {}) });
    this.o.events.emit('job.finished', { runId: job.runId, jobId: job.id, state, ...(reason ? { reason } : {}) });
    return done;
  }
}

/** A runtime whose machines run on other hosts and can be re-adopted after a control restart (queue-nats' dispatcher). */
function isAdoptable(runtime: Runtime): runtime is RemoteDispatcher & Required<Pick<RemoteDispatcher, 'adopt'>> {
  return typeof (runtime as Partial<RemoteDispatcher>).adopt === 'function';
}

/** How often a runtime whose hosts can be lost (queue-nats' dispatcher) starts a job again; 0 for others. */
function retryLostHostOf(runtime: Runtime): number {
  const n = (runtime as Partial<RemoteDispatcher>).retryLostHost;
  return typeof n === 'number' && n > 0 ? n : 0;
}

function runConclusion(jobs: JobRecord[]): RunConclusion {
  const failed = jobs.some((j) => ['failed', 'timed_out', 'errored'].includes(j.state) && j.plan.continueOnError !== true);
  if (failed) return 'failure';
  if (jobs.some((j) => j.state === 'cancelled')) return 'cancelled';
  return 'success';
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) map.set(key(item), [...(map.get(key(item)) ?? []), item]);
  return map;
}

