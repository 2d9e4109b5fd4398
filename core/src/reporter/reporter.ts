import type { Annotation, CheckConclusion, CheckJob, CheckResult, EventBus, Forge } from '@helios-ci/sdk';
import type { Store } from '../store/store.js';
import type { CheckRecord } from '../store/records.js';
import { conclusionOf } from './render.js';

/** Most annotations one forge call may carry (GitHub's limit per check-run update). */
export const ANNOTATIONS_PER_CALL = 50;

/** Annotations sent to a forge per job unless configured (`limits.maxForgeAnnotationsPerJob`). */
export const DEFAULT_MAX_FORGE_ANNOTATIONS = 50;

export interface ReporterOptions {
  store: Store;
  /** Forge instances by id (capabilities decide how annotations are reported). */
  forges: ReadonlyMap<string, Forge>;
  /** Told after every outbox write so delivery starts at once (usually the OutboxWorker). */
  worker?: { wake(): void };
  /** Annotations of one job sent to the forge at most; the store keeps all of them. Default 50. */
  maxForgeAnnotationsPerJob?: number;
}

/**
 * Turns what happens to a job into rows in the persisted outbox; the OutboxWorker delivers them.
 * The reporter never calls a forge itself, so a forge outage can never block or lose job progress.
 *
 * The orchestrator calls these methods directly, AFTER persisting the change they announce (step
 * rows, log lines, job state): the worker renders each update from the store when it sends it.
 * `jobQueued` must be called explicitly (the `job.queued` event does not say which forge or check);
 * the rest can come from the event bus through `attach(bus)`. Jobs without a check (a local
 * `helios run`) are ignored by every method, so callers need not check.
 */
export class Reporter {
  constructor(private readonly options: ReporterOptions) {}

  private get store(): Store {
    return this.options.store;
  }

  /** Opens the job's check (check id = job id) on `forge`: one `open` row. */
  jobQueued(input: { jobId: string; forge: string; checkJob: CheckJob }): CheckRecord {
    const check = this.store.transaction(() => {
      const existing = this.store.checks.get(input.jobId);
      if (existing) return existing; // re-queued job: keep reporting to the check it already has
      const created = this.store.checks.create({
        id: input.jobId,
        jobId: input.jobId,
        forge: input.forge,
        budgetKey: budgetKeyOf(input.forge, input.checkJob),
        checkJob: input.checkJob,
      });
      this.store.outbox.enqueue(created.id, 'open', {});
      return created;
    });
    this.options.worker?.wake();
    return check;
  }

  /**
   * A check not tied to a job (a workflow file that does not parse): opened and closed at once
   * with the given output, e.g. `file:line:col: message` in the summary.
   */
  standaloneCheck(input: { checkId: string; forge: string; checkJob: CheckJob; result: CheckResult }): CheckRecord {
    const check = this.store.transaction(() => {
      const existing = this.store.checks.get(input.checkId);
      if (existing) return existing;
      const created = this.store.checks.create({ id: input.checkId, jobId: null, forge: input.forge, budgetKey: budgetKeyOf(input.forge, input.checkJob), checkJob: input.checkJob });
      this.store.outbox.enqueue(created.id, 'open', {});
      this.store.outbox.enqueue(created.id, 'close', { conclusion: input.result.conclusion, output: { title: input.result.title, summary: input.result.summary, text: input.result.text } });
      return created;
    });
    this.options.worker?.wake();
    return check;
  }

  /**
   * A fork pull request is held for approval: its check (`awaitingApproval`) shows how to approve.
   * Closed by `approvalResolved`.
   */
  approvalRequested(input: { checkId: string; forge: string; checkJob: CheckJob }): CheckRecord {
    const check = this.store.transaction(() => {
      const existing = this.store.checks.get(input.checkId);
      if (existing) return existing;
      const created = this.store.checks.create({ id: input.checkId, jobId: null, forge: input.forge, budgetKey: budgetKeyOf(input.forge, input.checkJob), checkJob: { ...input.checkJob, awaitingApproval: true } });
      this.store.outbox.enqueue(created.id, 'open', {});
      return created;
    });
    this.options.worker?.wake();
    return check;
  }

  /** Closes an approval check (approved, or superseded by a newer push). Idempotent. */
  approvalResolved(checkId: string, result: CheckResult): void {
    const check = this.store.checks.get(checkId);
    if (!check) return;
    const wrote = this.store.transaction(() => {
      if (this.store.outbox.listByCheck(check.id).some((r) => r.kind === 'close' && r.state !== 'superseded')) return false;
      this.store.outbox.enqueue(check.id, 'close', { conclusion: result.conclusion, output: { title: result.title, summary: result.summary, text: result.text } });
      return true;
    });
    if (wrote) this.options.worker?.wake();
  }

  /** The job moved to provisioning or running. */
  jobStarted(jobId: string): void {
    this.touch(jobId);
  }

  /** A step started or finished (the step row is already in the store). */
  stepChanged(jobId: string): void {
    this.touch(jobId);
  }

  /** Log lines were appended to the store (the update's tail is read from there when sent). */
  logAppended(jobId: string): void {
    this.touch(jobId);
  }

  /**
   * Stores the annotations and reports them. A forge that shows annotations gets `annotate` rows of
   * exactly 50 while the job runs and the rest when it ends (one request per 50, never one per
   * annotation), up to `maxForgeAnnotationsPerJob`; other forges list them in the summary (via an
   * update).
   */
  annotation(jobId: string, annotations: readonly Annotation[]): void {
    if (annotations.length === 0) return;
    const check = this.store.checks.get(jobId);
    const forge = check && this.options.forges.get(check.forge);
    this.store.transaction(() => {
      const before = this.store.annotations.count(jobId);
      this.store.annotations.add(jobId, annotations);
      if (!check || check.state === 'closed') return;
      if (forge && !forge.capabilities.annotations) {
        this.store.outbox.requestUpdate(check.id);
        return;
      }
      this.enqueueAnnotations(check.id, jobId, before, before + annotations.length, false);
    });
    if (check) this.options.worker?.wake();
  }

  private get annotationCap(): number {
    return this.options.maxForgeAnnotationsPerJob ?? DEFAULT_MAX_FORGE_ANNOTATIONS;
  }

  /**
   * Enqueues the annotation batches that became due. Invariant (which makes this stateless): after
   * every call during the run, exactly floor(min(count, cap) / 50) * 50 annotations are enqueued;
   * at the end (`final`) the remainder up to the cap follows. Each row carries its offset, so the
   * forge can tell a resent batch without listing what it has.
   */
  private enqueueAnnotations(checkId: string, jobId: string, before: number, total: number, final: boolean): void {
    const cap = this.annotationCap;
    let from = Math.floor(Math.min(before, cap) / ANNOTATIONS_PER_CALL) * ANNOTATIONS_PER_CALL;
    const limit = Math.min(total, cap);
    if (limit - from < (final ? 1 : ANNOTATIONS_PER_CALL)) return;
    const all = this.store.annotations.list(jobId);
    while (limit - from >= (final ? 1 : ANNOTATIONS_PER_CALL)) {
      const batch = all.slice(from, Math.min(from + ANNOTATIONS_PER_CALL, limit));
      this.store.outbox.enqueue(checkId, 'annotate', { annotations: batch, offset: from });
      from += batch.length;
    }
  }

  /**
   * The job reached a final state: one `close` row (it supersedes pending updates; the final output
   * is rendered when sent). `conclusion` overrides the one mapped from the job state. Idempotent.
   */
  jobFinished(jobId: string, conclusion?: CheckConclusion): void {
    const check = this.store.checks.get(jobId);
    if (!check) return;
    const wrote = this.store.transaction(() => {
      const rows = this.store.outbox.listByCheck(check.id);
      if (rows.some((r) => r.kind === 'close' && r.state !== 'superseded')) return false;
      const forge = this.options.forges.get(check.forge);
      if (check.jobId && (!forge || forge.capabilities.annotations)) {
        const count = this.store.annotations.count(check.jobId);
        this.enqueueAnnotations(check.id, check.jobId, count, count, true);
      }
      const job = this.store.jobs.get(jobId);
      this.store.outbox.enqueue(check.id, 'close', { conclusion: conclusion ?? (job ? conclusionOf(job.state) : 'failure') });
      return true;
    });
    if (wrote) this.options.worker?.wake();
  }

  /** Subscribes to job.started / job.step / job.log / job.annotation / job.finished. Returns unsubscribe. */
  attach(bus: EventBus): () => void {
    const offs = [
      bus.on('job.started', (e) => this.jobStarted(e.jobId)),
      bus.on('job.step', (e) => this.stepChanged(e.jobId)),
      bus.on('job.log', (e) => this.logAppended(e.jobId)),
      bus.on('job.annotation', (e) => this.annotation(e.jobId, [e.annotation])),
      bus.on('job.finished', (e) => this.jobFinished(e.jobId)),
    ];
    return () => offs.forEach((off) => off());
  }

  private touch(jobId: string): void {
    const check = this.store.checks.get(jobId);
    if (!check || check.state === 'closed') return;
    if (this.store.outbox.requestUpdate(check.id)) this.options.worker?.wake();
  }
}

/** Requests count against one budget per forge installation (GitHub's limit is per installation). */
export function budgetKeyOf(forge: string, job: CheckJob): string {
  return `${forge}/${job.repo.installationId ?? '-'}`;
}
