import { HeliosError, type Forge, type ForgeEvent, type Logger, type PlanEvent, type PlanProblem, type RepoRef } from '@helios-ci/sdk';
import type { InboxRecord, RunRecord, Store } from '../store/index.js';
import { plan } from '../workflow/index.js';
import { LocalRepository } from '../localRepo/localRepository.js';
import type { Orchestrator } from './orchestrator.js';
import { localRepoRef } from './runSources.js';

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
    private readonly o: { store: Store; orchestrator: Orchestrator; forges: readonly Forge[]; labels: () => readonly string[]; logger: Logger },
  ) {}

  private chain: Promise<unknown> = Promise.resolve();

  /** Plans an inbox record soon, one delivery at a time, off the webhook's request path. */
  processLater(inboxId: number): void {
    this.chain = this.chain.then(async () => {
      const record = this.o.store.inbox.get(inboxId);
      if (record && record.status === 'received') await this.process(record).catch(() => undefined);
    });
  }

  /** Plans every delivery still in `received` (after a restart, or after a burst). */
  async drain(): Promise<void> {
    for (const record of this.o.store.inbox.received()) await this.process(record);
  }

  async process(record: InboxRecord): Promise<PlannedDelivery> {
    try {
      const result = await this.planRecord(record);
      this.o.store.inbox.markPlanned(record.id);
      return result;
    } catch (err) {
      this.o.logger.error('planning a delivery failed', { inbox: record.id, error: err });
      this.o.store.inbox.markFailed(record.id, (err as Error).message);
      throw err;
    }
  }

  private async planRecord(record: InboxRecord): Promise<PlannedDelivery> {
    const payload = record.payload as LocalEventPayload | ForgeEvent;
    if (payload.kind === 'local') return this.planLocal(record, payload);
    const forge = this.o.forges.find((f) => f.id === record.forge);
    if (!forge) throw new HeliosError('E_FORGE_NOT_CONFIGURED', `delivery ${record.deliveryId} came from forge "${record.forge}", which is not configured`);
    let repo: RepoRef;
    let sha: string;
    let event: PlanEvent;
    let trusted = true;
    switch (payload.kind) {
      case 'push':
        if (/^0+$/.test(payload.after)) return { run: null, note: 'branch deleted' };
        repo = payload.repo;
        sha = payload.after;
        event = { name: 'push', ref: payload.ref, sha, ...(payload.changedFiles ? { changedFiles: payload.changedFiles } : {}) };
        break;
      case 'pullRequest':
        if (payload.fromFork) {
          // Fork pull requests never run on their own (DESIGN §7): they wait for a writer's approval.
          return { run: null, note: 'fork pull request: waiting for approval' };
        }
        repo = payload.repo;
        sha = payload.head.sha;
        trusted = !payload.fromFork;
        event = { name: 'pull_request', ref: `refs/heads/${payload.base.ref}`, headRef: `refs/heads/${payload.head.ref}`, sha, action: payload.action };
        break;
      default:
        return { run: null, note: `${payload.kind} events do not start runs` };
    }
    const files = await forge.fetchWorkflows(repo, sha);
    const planned = await plan({ files, event, labels: this.o.labels(), readFile: (path) => forge.fetchFile(repo, sha, path) });
    if (planned.jobs.length === 0 && planned.problems.length === 0) return { run: null, note: 'no workflow matches this event' };
    // A run with invalid workflows is still recorded: it completes as a failure carrying the problems.
    const run = this.o.orchestrator.submitRun({ plan: planned, repo, sha, ref: event.ref, forge: forge.id, trusted, inboxId: record.id });
    return { run };
  }

  private async planLocal(record: InboxRecord, p: LocalEventPayload): Promise<PlannedDelivery> {
    const repo = await LocalRepository.open(p.repoDir);
    let files = await repo.workflowFiles(p.sha);
    if (p.workflows?.length) {
      files = files.filter((f) => p.workflows!.some((w) => f.path === w || f.path.endsWith(`/${w}`) || f.path.endsWith(`/${w}.yml`) || f.path.endsWith(`/${w}.yaml`)));
      if (files.length === 0) throw new HeliosError('E_WORKFLOW_NOT_FOUND', `no workflow file matches ${p.workflows.join(', ')} at ${p.sha.slice(0, 12)}; see .github/workflows/`);
    }
    let planned = await plan({ files, event: p.event, labels: this.o.labels(), readFile: (path) => repo.readFile(p.sha, path) });
    if (p.jobs?.length) {
      const wanted = new Set<string>(p.jobs);
      // Keep the jobs asked for and, transitively, the jobs they need.
      for (let grew = true; grew; ) {
        grew = false;
        for (const j of planned.jobs) {
          if (!wanted.has(j.jobKey)) continue;
          for (const n of j.needs) if (!wanted.has(n)) (wanted.add(n), (grew = true));
        }
      }
      const jobs = planned.jobs.filter((j) => wanted.has(j.jobKey));
      if (jobs.length === 0) throw new HeliosError('E_JOB_NOT_FOUND', `no job named ${p.jobs.join(', ')} in the planned workflows; jobs: ${[...new Set(planned.jobs.map((j) => j.jobKey))].join(', ')}`);
      planned = { ...planned, jobs };
    }
    if (planned.problems.length) return { run: null, note: 'invalid workflows', problems: planned.problems };
    if (planned.jobs.length === 0) return { run: null, note: `no workflow runs on ${p.event.name} to ${p.ref}` };
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
