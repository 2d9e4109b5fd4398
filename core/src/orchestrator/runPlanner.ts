import type { ApprovalRecord } from '../store/repos/approvalRepo.js';
import { answersNeed } from './workflowCallNeeds.js';
import { HeliosError, isHeliosError, timerDelayMs, type Forge, type ForgeEvent, type Logger, type PlanEvent, type PlanProblem, type RepoRef } from '@helios-ci/sdk';
import type { InboxRecord, RunRecord, Store } from '../store/index.js';
import { onlyCalledWorkflows, plan, planOffThread, type PlanRequest, type VmactionsConfig } from '../workflow/index.js';
import { LocalRepository } from '../localRepo/localRepository.js';
import type { Orchestrator } from './orchestrator.js';
import { localRepoRef } from './runSources.js';
import type { Reporter } from '../reporter/index.js';
import type { ActionResolver } from '../actions-source/actionResolver.js';

type PullRequestEvent = Extract<ForgeEvent, { kind: 'pullRequest' }>;
const WRITERS = new Set(['write', 'admin']);
const MAX_PLAN_ATTEMPTS = 12;

/** Errors that another attempt cannot fix: bad input, unknown forge, invalid workflows. */
function isPermanent(err: unknown): boolean {
  if (!isHeliosError(err)) return false;
  return !err.retryable;
}

/** An event from `helios run` or the REST API: a git repository reachable from this host. */
export interface LocalEventPayload {
  kind: 'local';
  /** Directory of the repository on this host (workflow files are read from it). */
  repoDir: string;
  sha: string;
  ref: string;
  event: PlanEvent;
  /** Only these workflow files (repository paths or file names), when given. */
  workflows?: string[];
  /** Only jobs with these keys (and the jobs they need), when given. */
  jobs?: string[];
  runId?: string;
}

export interface PlannedDelivery {
  run: RunRecord | null;
  /** Invalid workflows (`helios run` prints them; forge runs record them on the run). */
  problems?: PlanProblem[];
  /** Why nothing runs, when `run` is null. */
  note?: string;
}

/**
 * Turns inbox deliveries into runs: reads the workflow files at the commit (from the forge, or a
 * local repository), plans them for the event, and hands the plan to the orchestrator. Every
 * delivery is marked planned or failed in the same store, so none is lost or planned twice.
 */
export class RunPlanner {
  constructor(
    private readonly o: {
      store: Store;
      orchestrator: Orchestrator;
      forges: readonly Forge[];
      labels: () => readonly string[];
      /** helios.yaml `vmactions:` (vmactions/<os>-vm release → runs-on label). */
      vmactions?: VmactionsConfig;
      logger: Logger;
      /** Opens and closes approval checks for held fork pull requests. */
      reporter?: Reporter | null;
      publicUrl?: string;
      /** Compute budget of planning one delivery (in a worker thread); default DEFAULT_PLAN_TIMEOUT_MS. */
      planTimeoutMs?: number;
      /**
       * Plan on the caller's thread, with no worker and no time budget (`helios run`: nothing else is
       * served from its event loop, and a worker would load the whole workflow engine a second time).
       */
      planInThread?: boolean;
      /**
       * Longest wait for one forge call while planning (limits.forgeCallTimeoutSeconds); the
       * delivery then fails with the retryable E_FORGE_TIMEOUT and is tried again with backoff.
       */
      forgeCallTimeoutMs?: number;
      /** Remote actions (`uses: owner/repo@ref`): policy, sources and cache; absent: such steps are problems. */
      actions?: ActionResolver;
    },
  ) {}

  /** Planning runs off the event loop with a time budget: no workflow can stall the server. */
  private plan(request: PlanRequest) {
    if (this.o.vmactions) request = { ...request, vmactions: this.o.vmactions };
    if (this.o.planInThread) return plan(request);
    return planOffThread(request, this.o.planTimeoutMs !== undefined ? { timeoutMs: this.o.planTimeoutMs } : {});
  }

  /** One queue per forge instance (local runs share one): a slow forge delays only its own deliveries. */
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly retries = new Map<number, number>();

  /**
   * Plans an inbox record soon, one delivery at a time per forge, off the webhook's request path. A
   * delivery that fails for a passing reason (the forge is down) stays received and is tried again later.
   */
  processLater(inboxId: number, delayMs = 0): void {
    const run = () => {
      const record = this.o.store.inbox.get(inboxId);
      if (!record || record.status !== 'received') return;
      const key = record.forge ?? '';
      const next = (this.chains.get(key) ?? Promise.resolve()).then(async () => {
        const current = this.o.store.inbox.get(inboxId);
        if (current && current.status === 'received') await this.process(current).catch(() => undefined);
      });
      this.chains.set(key, next);
      // Forget a settled queue so the map holds only forges with work in flight.
      void next.then(() => {
        if (this.chains.get(key) === next) this.chains.delete(key);
      });
    };
    if (delayMs > 0) setTimeout(run, delayMs).unref();
    else run();
  }

  /**
   * Queues every delivery still in `received` (after a restart, or after a burst) and returns at
   * once: `helios serve` calls it after it listens, so pending work never keeps the server deaf.
   */
  drain(): void {
    for (const record of this.o.store.inbox.received()) this.processLater(record.id);
  }

  async process(record: InboxRecord): Promise<PlannedDelivery> {
    try {
      const result = await this.planRecord(record);
      this.o.store.inbox.markPlanned(record.id);
      this.retries.delete(record.id);
      return result;
    } catch (err) {
      const attempt = (this.retries.get(record.id) ?? 0) + 1;
      if (isPermanent(err) || attempt > MAX_PLAN_ATTEMPTS) {
        this.o.logger.error('planning a delivery failed', { inbox: record.id, error: err });
        this.o.store.inbox.markFailed(record.id, (err as Error).message);
        this.retries.delete(record.id);
      } else {
        const delay = Math.min(300_000, 1000 * 2 ** (attempt - 1));
        this.o.logger.warn('planning a delivery failed; trying again later', { inbox: record.id, attempt, delayMs: delay, error: err });
        this.retries.set(record.id, attempt);
        this.processLater(record.id, delay);
      }
      throw err;
    }
  }

  private async planRecord(record: InboxRecord): Promise<PlannedDelivery> {
    const payload = record.payload as LocalEventPayload | ForgeEvent;
    if (payload.kind === 'local') return this.planLocal(record, payload);
    const configured = this.o.forges.find((f) => f.id === record.forge);
    if (!configured) throw new HeliosError('E_FORGE_NOT_CONFIGURED', `delivery ${record.deliveryId} came from forge "${record.forge}", which is not configured`);
    const forge = this.timed(configured);
    switch (payload.kind) {
      case 'push': {
        if (/^0+$/.test(payload.after)) return { run: null, note: 'branch deleted' };
        const event: PlanEvent = { name: 'push', ref: payload.ref, sha: payload.after, ...(payload.changedFiles ? { changedFiles: payload.changedFiles } : {}), ...defaultBranchOf(payload) };
        return this.planForge(forge, record.id, payload.repo, payload.after, event, true);
      }
      case 'pullRequest':
        // Fork pull requests never run on their own (DESIGN §7): they wait for a writer's approval.
        if (payload.fromFork) return this.holdForApproval(forge, record, payload);
        return this.planPullRequest(forge, record.id, payload, true);
      case 'approve':
        return this.approve(forge, payload);
      case 'rerun':
        return this.rerun(forge, payload);
      case 'cancel': {
        if (!(await this.mayWrite(forge, payload.repo, payload.sender))) return { run: null, note: `${payload.sender} may not cancel: write access is needed` };
        const job = this.o.store.jobs.get(payload.checkId);
        if (!job) return { run: null, note: `no job ${payload.checkId}` };
        this.o.orchestrator.cancelJob(job.id, `cancelled by ${payload.sender}`);
        return { run: null, note: `cancel of ${job.id} requested by ${payload.sender}` };
      }
      default:
        return { run: null, note: `${payload.kind} events do not start runs` };
    }
  }

  private planPullRequest(forge: Forge, inboxId: number, pr: PullRequestEvent, trusted: boolean): Promise<PlannedDelivery> {
    const event: PlanEvent = { name: 'pull_request', ref: `refs/heads/${pr.base.ref}`, headRef: `refs/heads/${pr.head.ref}`, number: pr.number, sha: pr.head.sha, action: pr.action, ...defaultBranchOf(pr) };
    // A fork's head commit lives in the fork: workflows and the clone come from there.
    const source = pr.fromFork ? { ...pr.head.repo, installationId: pr.head.repo.installationId ?? pr.repo.installationId } : pr.repo;
    return this.planForge(forge, inboxId, pr.repo, pr.head.sha, event, trusted, source);
  }

  private async planForge(forge: Forge, inboxId: number, repo: RepoRef, sha: string, event: PlanEvent, trusted: boolean, source: RepoRef = repo): Promise<PlannedDelivery> {
    const files = await forge.fetchWorkflows(source, sha);
    const planned = await this.plan({
      files,
      event,
      labels: this.o.labels(),
      readFile: (path) => forge.fetchFile(source, sha, path),
      // Remote reusable workflows are read with the planned repository's credentials (its App
      // installation on GitHub): public repositories and those the credentials reach, as on GitHub.
      readRemoteFile: (other, ref, path) => forge.fetchFile({ owner: other.owner, name: other.name, ...(source.installationId && { installationId: source.installationId }) }, ref, path),
      // Remote actions likewise, with the same credentials; untrusted runs under the same policy.
      ...(this.o.actions && { loadRemoteAction: this.o.actions.forRun({ forge, trusted, ...(source.installationId && { installationId: source.installationId }) }) }),
    });
    if (planned.jobs.length === 0 && planned.problems.length === 0) return { run: null, note: 'no workflow matches this event' };
    // A run with invalid workflows is still recorded: it completes as a failure carrying the problems.
    const run = this.o.orchestrator.submitRun({ plan: planned, repo, sha, ref: event.ref, forge: forge.id, trusted, inboxId });
    return { run, problems: planned.problems };
  }

  /** Holds a fork pull request: an awaiting-approval check replaces any older hold of the same PR. */
  private holdForApproval(forge: Forge, record: InboxRecord, pr: PullRequestEvent): PlannedDelivery {
    const id = `approval-${record.id}`;
    const { superseded } = this.o.store.approvals.create({ id, forge: forge.id, repo: pr.repo, prNumber: pr.number, headSha: pr.head.sha, inboxId: record.id });
    for (const old of superseded) {
      this.o.reporter?.approvalResolved(old.id, { conclusion: 'neutral', title: 'Superseded by a newer push', summary: `Pull request #${pr.number} has newer commits; approve the newest check instead.` });
    }
    this.o.reporter?.approvalRequested({
      checkId: id,
      forge: forge.id,
      checkJob: {
        jobId: id,
        runId: '',
        repo: pr.repo,
        sha: pr.head.sha,
        workflowName: 'Helios',
        jobName: 'Approve and run',
        detailsUrl: `${this.o.publicUrl ?? ''}/approvals/${id}`,
        awaitingApproval: true,
      },
    });
    this.o.logger.info('fork pull request held for approval', { approval: id, pr: pr.number, author: pr.author });
    return { run: null, note: `fork pull request #${pr.number} by ${pr.author}: waiting for approval by a user with write access` };
  }

  private async approve(forge: Forge, event: Extract<ForgeEvent, { kind: 'approve' }>): Promise<PlannedDelivery> {
    const pr = /^pr:(\d+)$/.exec(event.target);
    const approval = pr ? this.o.store.approvals.latestPending(forge.id, event.repo, Number(pr[1])) : this.o.store.approvals.get(event.target);
    if (!approval || approval.state !== 'pending') return { run: null, note: `nothing waits for approval at ${event.target}` };
    if (!(await this.mayWrite(forge, approval.repo, event.sender))) {
      this.o.logger.warn('approval refused: the sender lacks write access', { approval: approval.id, sender: event.sender });
      return { run: null, note: `${event.sender} may not approve: write or admin access is needed` };
    }
    if (approval.jobId) return this.approveEnvironment(approval, event.sender);
    const held = this.o.store.inbox.get(approval.inboxId)!.payload as PullRequestEvent;
    const stale = staleApproval(event, approval.headSha, held);
    if (stale) {
      this.o.logger.warn('approval refused: it was given on an older head', { approval: approval.id, sender: event.sender, reason: stale });
      return { run: null, note: `${event.sender}'s approval does not count: ${stale}; approve again to run ${approval.headSha.slice(0, 12)}` };
    }
    // Approved fork runs stay untrusted: they never receive secrets. Planned before the approval is
    // recorded, so a forge outage while planning leaves it pending and the delivery is retried.
    const result = await this.planPullRequest(forge, approval.inboxId, held, false);
    this.o.store.approvals.approve(approval.id, event.sender, result.run?.id ?? null);
    this.o.reporter?.approvalResolved(approval.id, { conclusion: 'neutral', title: `Approved by ${event.sender}`, summary: `${event.sender} approved running this pull request's workflows. Fork pull requests run without secrets.` });
    return result;
  }

  /** A job held for its environment's approval: approved (once), then the run advances and sends it. */
  private async approveEnvironment(approval: ApprovalRecord, sender: string): Promise<PlannedDelivery> {
    this.o.store.approvals.approve(approval.id, sender, approval.runId);
    this.o.logger.info('environment approval given', { approval: approval.id, job: approval.jobId, environment: approval.environment, sender });
    this.o.reporter?.approvalResolved(approval.id, { conclusion: 'neutral', title: `Approved by ${sender}`, summary: `${sender} approved running this job in environment ${approval.environment}.` });
    if (approval.runId) await this.o.orchestrator.advance(approval.runId);
    return { run: null, note: `${sender} approved environment ${approval.environment} for job ${approval.jobId}` };
  }

  private async rerun(forge: Forge, event: Extract<ForgeEvent, { kind: 'rerun' }>): Promise<PlannedDelivery> {
    if (!(await this.mayWrite(forge, event.repo, event.sender))) return { run: null, note: `${event.sender} may not re-run: write access is needed` };
    let runId: string | undefined;
    let job;
    if (event.checkId) {
      job = this.o.store.jobs.get(event.checkId);
      runId = job?.runId;
    } else if (event.sha) {
      runId = this.o.store.runs.list({ limit: 500 }).find((r) => r.forge === forge.id && r.sha === event.sha && r.repo.owner === event.repo.owner && r.repo.name === event.repo.name)?.id;
    }
    if (!runId) return { run: null, note: 'nothing to re-run: no run of Helios matches' };
    if (event.scope === 'one' && job) return { run: this.o.orchestrator.rerunJob(job.id) };
    return { run: this.o.orchestrator.rerunRun(runId, event.scope === 'failed' ? 'failed' : 'all') };
  }

  /**
   * The forge as planning sees it: every call it makes is bounded by forgeCallTimeoutMs, so a
   * forge that hangs fails the delivery (retryably) instead of holding its queue forever.
   */
  private timed(forge: Forge): Forge {
    const ms = this.o.forgeCallTimeoutMs;
    if (ms === undefined) return forge;
    const bound = <T>(what: string, call: () => Promise<T>): Promise<T> =>
      new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => reject(new HeliosError('E_FORGE_TIMEOUT', `forge ${forge.id}: ${what} got no answer within ${ms} ms; the delivery is planned again later`)), timerDelayMs(ms));
        call().then(
          (v) => (clearTimeout(timer), resolve(v)),
          (e: unknown) => (clearTimeout(timer), reject(e)),
        );
      });
    return Object.assign(Object.create(forge) as Forge, {
      fetchWorkflows: (repo: RepoRef, sha: string) => bound('reading workflows', () => forge.fetchWorkflows(repo, sha)),
      fetchFile: (repo: RepoRef, sha: string, path: string) => bound(`reading ${path}`, () => forge.fetchFile(repo, sha, path)),
      permissionOf: (repo: RepoRef, user: string) => bound(`permission of ${user}`, () => forge.permissionOf(repo, user)),
      ...(forge.resolveRef && { resolveRef: (repo: RepoRef, ref: string) => bound(`resolving ${repo.owner}/${repo.name}@${ref}`, () => forge.resolveRef!(repo, ref)) }),
      ...(forge.fetchArchive && { fetchArchive: (repo: RepoRef, sha: string) => bound(`fetching ${repo.owner}/${repo.name}@${sha}`, () => forge.fetchArchive!(repo, sha)) }),
    });
  }

  private async mayWrite(forge: Forge, repo: RepoRef, user: string): Promise<boolean> {
    return WRITERS.has(await forge.permissionOf(repo, user));
  }

  private async planLocal(record: InboxRecord, p: LocalEventPayload): Promise<PlannedDelivery> {
    const repo = await LocalRepository.open(p.repoDir);
    let files = await repo.workflowFiles(p.sha);
    if (files.length === 0) return { run: null, note: `no workflow files (.github/workflows/*.yml or .forgejo/workflows/*.yml) at ${p.sha.slice(0, 12)}; add one (helios run --dirty also sees files not committed yet)` };
    if (p.workflows?.length) {
      files = files.filter((f) => p.workflows!.some((w) => f.path === w || f.path.endsWith(`/${w}`) || f.path.endsWith(`/${w}.yml`) || f.path.endsWith(`/${w}.yaml`)));
      if (files.length === 0) throw new HeliosError('E_WORKFLOW_NOT_FOUND', `no workflow file matches ${p.workflows.join(', ')} at ${p.sha.slice(0, 12)}; see .github/workflows/`);
    }
    let planned = await this.plan({
      files,
      event: p.event,
      labels: this.o.labels(),
      readFile: (path) => repo.readFile(p.sha, path),
      // A local run has no forge: remote actions come from the sources helios.yaml lists besides it.
      ...(this.o.actions && { loadRemoteAction: this.o.actions.forRun({ forge: null, trusted: true }) }),
    });
    if (p.jobs?.length) {
      const wanted = new Set<string>(p.jobs);
      // Keep the jobs asked for and, transitively, the jobs they need.
      for (let grew = true; grew; ) {
        grew = false;
        for (const j of planned.jobs) {
          if (![...wanted].some((k) => answersNeed(j.jobKey, k))) continue;
          for (const n of j.needs) {
            // A need on a job that called a reusable workflow brings every job of the call.
            for (const o of planned.jobs) if (answersNeed(o.jobKey, n) && !wanted.has(o.jobKey)) (wanted.add(o.jobKey), (grew = true));
          }
        }
      }
      const jobs = planned.jobs.filter((j) => wanted.has(j.jobKey) || [...wanted].some((k) => answersNeed(j.jobKey, k)));
      if (jobs.length === 0) throw new HeliosError('E_JOB_NOT_FOUND', `no job named ${p.jobs.join(', ')} in the planned workflows; jobs: ${[...new Set(planned.jobs.map((j) => j.jobKey))].join(', ')}`);
      planned = { ...planned, jobs };
    }
    if (planned.problems.length) return { run: null, note: 'invalid workflows', problems: planned.problems };
    if (planned.jobs.length === 0) {
      const called = await onlyCalledWorkflows(files);
      if (called.length === files.length) return { run: null, note: `${called.join(', ')} ${called.length === 1 ? 'runs' : 'run'} only when another workflow calls it (on: workflow_call); run the workflow that calls it` };
      return { run: null, note: `no workflow runs on ${p.event.name} to ${p.ref}` };
    }
    const run = this.o.orchestrator.submitRun({
      id: p.runId,
      plan: planned,
      repo: localRepoRef(repo.name, repo.cloneUrl),
      sha: p.sha,
      ref: p.ref,
      forge: null,
      trusted: true,
      inboxId: record.id,
    });
    return { run };
  }
}

/**
 * Why an approval does not cover the held head, or null if it does. An approval approves what the
 * approver saw: the check's commit where the forge names it (GitHub's check run), else a comment
 * written after the push that produced the head (Forgejo: both times come from the forge's clock).
 */
function staleApproval(event: { headSha?: string; at?: string }, heldSha: string, held: PullRequestEvent): string | null {
  if (event.headSha && event.headSha !== heldSha) return `it was given on commit ${event.headSha.slice(0, 12)}, the pull request's head is now ${heldSha.slice(0, 12)}`;
  const at = event.at ? Date.parse(event.at) : NaN;
  const pushed = held.updatedAt ? Date.parse(held.updatedAt) : NaN;
  // Same second counts as before: forge timestamps have one-second resolution.
  if (Number.isFinite(at) && Number.isFinite(pushed) && at <= pushed) return `it was written at ${event.at}, before the push of ${heldSha.slice(0, 12)} at ${held.updatedAt}`;
  return null;
}

/** The event's default branch when it names one that could be a branch (no whitespace); else nothing, and the config decides. */
function defaultBranchOf(event: { defaultBranch?: string }): { defaultBranch?: string } {
  const name = event.defaultBranch;
  return typeof name === 'string' && /^[^\s]{1,255}$/.test(name) ? { defaultBranch: name.replace(/^refs\/heads\//, '') } : {};
}
