import { HeliosError, isHeliosError, type CheckConclusion, type CheckUpdate, type Forge, type Logger } from '@helios-ci/sdk';
import { systemClock, type Clock } from '../clock/clock.js';
import type { CheckRecord, OutboxRow } from '../store/records.js';
import type { Store } from '../store/store.js';
import { backoffDelay } from './backoff.js';
import { buildLogTail } from './logTail.js';
import { renderSummary, renderTitle, renderUpdate, type CheckView } from './render.js';
import { artifactZipPath } from '../blobs/artifactLinks.js';
import { TokenBucket } from './tokenBucket.js';
import { DEFAULT_MAX_FORGE_ANNOTATIONS } from './reporter.js';

export interface OutboxWorkerOptions {
  store: Store;
  forges: ReadonlyMap<string, Forge>;
  /** `server.publicUrl`; checks link to `<publicUrl>/jobs/<id>` for the full log. */
  publicUrl: string;
  /** Default: the store's clock. */
  clock?: Clock;
  logger?: Logger;
  /** At most one `update` per check this often (default 3,000 ms). Opens, annotations and closes are not held back. */
  minUpdateIntervalMs?: number;
  /** A forge call that takes longer counts as failed and is retried (default 30,000 ms). */
  callTimeoutMs?: number;
  /** Retry delay: base · 2^(attempt-1), capped, with equal jitter (defaults 1,000 ms and 300,000 ms). */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** A row still failing after this many attempts is given up (`dead`). Default 100 (~8 h at the cap). */
  maxAttempts?: number;
  /** Forge calls in flight at once, over all checks (default 8). */
  concurrency?: number;
  /** Jitter source (default Math.random). */
  random?: () => number;
  /** The Reporter's cap on annotations sent per job (default 50): the summary says how many were not sent. */
  maxForgeAnnotationsPerJob?: number;
}

/**
 * Delivers outbox rows to the forges. Per check strictly in `seq` order, one call in flight; across
 * checks concurrently. Failed calls are retried with exponential backoff and jitter; a forge
 * outage only delays delivery. A row is marked done in the same transaction that records its
 * effect (the check handle), so nothing is sent twice by this process; after a crash between a
 * forge's answer and that commit, the row is sent once more, which is why Forge writes must be
 * idempotent (DESIGN §3). Permanent refusals (HeliosError `E_FORGE_REJECTED`, or any error with
 * `retryable === false`) make the row `dead` at once; a refused `open` kills the check's
 * remaining rows. A forge error with `retryAfterMs` pauses that installation's budget.
 */
export class OutboxWorker {
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly o: Required<Omit<OutboxWorkerOptions, 'store' | 'forges' | 'publicUrl' | 'clock' | 'logger'>>;
  private readonly budgets = new Map<string, TokenBucket>();
  private readonly lastUpdateAt = new Map<string, number>();
  private readonly inFlight = new Set<string>();
  private readonly idleWaiters: (() => void)[] = [];
  private running = false;
  private cancelTimer: (() => void) | null = null;
  private timerAt = Infinity;
  private pumping = false;
  private pumpAgain = false;

  constructor(private readonly options: OutboxWorkerOptions) {
    this.store = options.store;
    this.clock = options.clock ?? options.store.clock ?? systemClock;
    this.o = {
      minUpdateIntervalMs: options.minUpdateIntervalMs ?? 3000,
      callTimeoutMs: options.callTimeoutMs ?? 30_000,
      baseBackoffMs: options.baseBackoffMs ?? 1000,
      maxBackoffMs: options.maxBackoffMs ?? 300_000,
      maxAttempts: options.maxAttempts ?? 100,
      concurrency: options.concurrency ?? 8,
      random: options.random ?? Math.random,
      maxForgeAnnotationsPerJob: options.maxForgeAnnotationsPerJob ?? DEFAULT_MAX_FORGE_ANNOTATIONS,
    };
  }

  /** Resumes from the store (rows that were in flight when the last process died are sent again). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.store.outbox.resetSending();
    this.pump();
  }

  /** Stops sending; waits for calls in flight (each bounded by callTimeoutMs). Pending rows stay in the store. */
  async stop(): Promise<void> {
    this.running = false;
    this.cancelTimer?.();
    this.cancelTimer = null;
    this.timerAt = Infinity;
    while (this.inFlight.size > 0) await new Promise<void>((r) => this.idleWaiters.push(r));
  }

  /** New rows were written: look at them now rather than at the next timer. */
  wake(): void {
    if (this.running) this.pump();
  }

  /** Calls in flight right now. */
  get busy(): number {
    return this.inFlight.size;
  }

  /** Resolves once nothing is left to deliver (every row done, dead or superseded). */
  async whenIdle(): Promise<void> {
    while (this.inFlight.size > 0 || this.store.outbox.outstanding() > 0) {
      await new Promise<void>((r) => this.idleWaiters.push(r));
    }
  }

  private notifyIdleWaiters(): void {
    for (const r of this.idleWaiters.splice(0)) r();
  }

  /** Starts every row that may go now; arms a timer for the earliest one that may go later. */
  private pump(): void {
    if (!this.running) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    let wakeAt = Infinity;
    try {
      do {
        this.pumpAgain = false;
        wakeAt = Infinity;
        const now = this.clock.now();
        for (const row of this.store.outbox.heads()) {
          if (this.inFlight.size >= this.o.concurrency) break;
          if (this.inFlight.has(row.checkId)) continue;
          if (row.nextAttemptAt > now) {
            wakeAt = Math.min(wakeAt, row.nextAttemptAt);
            continue;
          }
          const check = this.store.checks.get(row.checkId);
          if (!check) {
            this.store.outbox.markDead(row.id, 'check row missing');
            continue;
          }
          if (row.kind === 'update') {
            const last = this.lastUpdateAt.get(check.id) ?? this.store.outbox.lastDelivered(check.id, 'update') ?? -Infinity;
            const due = last + this.o.minUpdateIntervalMs;
            if (due > now) {
              wakeAt = Math.min(wakeAt, due);
              continue;
            }
          }
          const wait = this.bucket(check).take(now);
          if (wait > 0) {
            wakeAt = Math.min(wakeAt, now + wait);
            continue;
          }
          this.store.outbox.markSending(row.id);
          this.inFlight.add(check.id);
          void this.deliver(row, check).then(
            () => this.delivered(check.id),
            (err: unknown) => {
              // Only bookkeeping can fail here (e.g. the store was closed under a stopped worker).
              this.options.logger?.error('outbox bookkeeping failed', { check: check.id, error: err });
              this.delivered(check.id);
            },
          );
        }
      } while (this.pumpAgain);
    } finally {
      this.pumping = false;
    }
    this.arm(wakeAt);
  }

  private delivered(checkId: string): void {
    this.inFlight.delete(checkId);
    this.pump();
    this.notifyIdleWaiters();
  }

  private arm(at: number): void {
    if (!Number.isFinite(at) || at >= this.timerAt) return;
    this.cancelTimer?.();
    this.timerAt = at;
    this.cancelTimer = this.clock.setTimer(at - this.clock.now(), () => {
      this.cancelTimer = null;
      this.timerAt = Infinity;
      this.pump();
    });
  }

  private bucket(check: CheckRecord): TokenBucket {
    let b = this.budgets.get(check.budgetKey);
    if (!b) {
      const rpm = this.options.forges.get(check.forge)?.capabilities.requestsPerMinute ?? 60;
      b = new TokenBucket(rpm, this.clock.now());
      this.budgets.set(check.budgetKey, b);
    }
    return b;
  }

  private async deliver(row: OutboxRow, check: CheckRecord): Promise<void> {
    try {
      const forge = this.options.forges.get(check.forge);
      if (!forge) throw new HeliosError('E_FORGE_NOT_CONFIGURED', `forge ${check.forge} is not configured; its check ${check.id} waits until it is`);
      await this.withTimeout(this.send(forge, row, check), `${row.kind} of check ${check.id}`);
    } catch (err) {
      if (!this.running) return; // stopped mid-call: the row stays `sending` and is resent on the next start
      this.failed(row, check, err);
    }
  }

  private async send(forge: Forge, row: OutboxRow, check: CheckRecord): Promise<void> {
    if (row.kind === 'open') {
      const handle = await forge.openCheck(check.checkJob);
      this.store.transaction(() => {
        this.store.checks.setHandle(check.id, handle);
        this.store.outbox.markDone(row.id);
      });
      return;
    }
    const handle = check.handle;
    if (!handle) throw new HeliosError('E_CHECK_NOT_OPEN', `check ${check.id} has no forge handle yet`, { retryable: false });
    const payload = row.payload as { conclusion?: CheckConclusion; output?: Omit<CheckUpdate, 'status'>; annotations?: []; offset?: number };
    if (row.kind === 'annotate') {
      await forge.annotate(handle, payload.annotations ?? [], typeof payload.offset === 'number' ? { alreadySent: payload.offset } : {});
      this.store.outbox.markDone(row.id);
    } else if (row.kind === 'update') {
      const sentAt = this.clock.now();
      await forge.updateCheck(handle, this.renderUpdate(forge, check));
      this.lastUpdateAt.set(check.id, sentAt);
      this.store.outbox.markDone(row.id);
    } else {
      const output = payload.output ?? this.renderFinal(forge, check);
      await forge.closeCheck(handle, { ...output, conclusion: payload.conclusion ?? 'failure' });
      this.store.transaction(() => {
        this.store.outbox.markDone(row.id);
        this.store.checks.markClosed(check.id);
      });
    }
  }

  private failed(row: OutboxRow, check: CheckRecord, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    const permanent = isHeliosError(err) && !err.retryable;
    const attempt = row.attempts + 1;
    const log = this.options.logger;
    if (permanent || attempt >= this.o.maxAttempts) {
      this.store.transaction(() => {
        this.store.outbox.markDead(row.id, message);
        if (row.kind === 'open') this.store.outbox.killCheck(check.id, `open failed: ${message}`);
      });
      log?.error('forge write given up', { check: check.id, kind: row.kind, attempts: attempt, error: message });
      return;
    }
    const now = this.clock.now();
    const retryAfter = isHeliosError(err) ? err.retryAfterMs ?? 0 : 0;
    if (retryAfter > 0) this.bucket(check).pauseUntil(now + retryAfter);
    const next = now + Math.max(retryAfter, backoffDelay(attempt, { baseMs: this.o.baseBackoffMs, maxMs: this.o.maxBackoffMs, random: this.o.random }));
    this.store.outbox.markRetry(row.id, next, message);
    log?.warn('forge write failed; will retry', { check: check.id, kind: row.kind, attempt, retryInMs: next - now, error: message });
  }

  private withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const cancel = this.clock.setTimer(this.o.callTimeoutMs, () =>
        reject(new HeliosError('E_FORGE_TIMEOUT', `${what} got no answer within ${this.o.callTimeoutMs} ms; retrying later`)),
      );
      p.then(
        (v) => (cancel(), resolve(v)),
        (e: unknown) => (cancel(), reject(e)),
      );
    });
  }

  /** Everything the check shows, read from the store now (so a delayed update is never stale). */
  private view(forge: Forge, check: CheckRecord): CheckView {
    const jobId = check.jobId;
    const job = jobId ? this.store.jobs.get(jobId) : undefined;
    const base = this.options.publicUrl.replace(/\/+$/, '');
    const fullLogUrl = `${base}/jobs/${encodeURIComponent(jobId ?? check.id)}`;
    const caps = forge.capabilities;
    return {
      jobState: job?.state ?? 'queued',
      reason: job?.reason ?? null,
      plannedSteps: job ? job.plan.steps.map((s) => s.name) : [],
      steps: jobId ? this.store.steps.list(jobId) : [],
      annotations: jobId && !caps.annotations ? this.store.annotations.list(jobId) : [],
      annotationCount: jobId ? this.store.annotations.count(jobId) : 0,
      forgeAnnotationCap: caps.annotations ? this.o.maxForgeAnnotationsPerJob : null,
      logTail: jobId && caps.liveLog ? buildLogTail((before, limit) => this.store.logReader.readBackward(jobId, before, limit), this.store.logReader.lastSeq(jobId), caps.maxLogChars, fullLogUrl) : '',
      fullLogUrl,
      artifacts: job ? this.store.artifacts.list(job.runId).filter((a) => a.jobId === job.id).map((a) => ({ name: a.name, size: a.size, url: `${base}${artifactZipPath(a.runId, a.name)}` })) : [],
      now: this.clock.now(),
    };
  }

  private renderUpdate(forge: Forge, check: CheckRecord): CheckUpdate {
    return renderUpdate(this.view(forge, check), forge.capabilities);
  }

  private renderFinal(forge: Forge, check: CheckRecord): Omit<CheckUpdate, 'status'> {
    const v = this.view(forge, check);
    const out: Omit<CheckUpdate, 'status'> = { title: renderTitle(v), summary: renderSummary(v, forge.capabilities), annotationCount: v.annotationCount };
    if (forge.capabilities.liveLog && v.logTail) out.text = v.logTail;
    return out;
  }
}
