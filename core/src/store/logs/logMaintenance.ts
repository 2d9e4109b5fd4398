import { isHeliosError, type EventBus, type Logger } from '@helios-ci/sdk';
import type { Clock } from '../../clock/clock.js';
import type { Store } from '../store.js';
import { LogCompactor, type BacklogProgress } from './logCompactor.js';
import { LogRetention, type LogRetentionPolicy } from './logRetention.js';

export interface LogMaintenanceOptions {
  store: Store;
  events: EventBus;
  logger: Logger;
  retention: LogRetentionPolicy;
  /** Time between retention passes (limits.logPruneIntervalMinutes). */
  pruneIntervalMs: number;
  /** Timers come from here (default: the store's clock). */
  clock?: Clock;
  /** Backlog progress is logged at most this often (default 5 s). */
  progressEveryMs?: number;
}

const MB = 1024 * 1024;

/**
 * Keeps job logs compact and within retention while `helios serve` runs: a job's log is compacted
 * when the job finishes (job.finished), finished jobs left with line rows (an upgraded database, a
 * crash midway) are compacted at start with progress in the log, and retention prunes once after
 * that and then every `pruneIntervalMs` on the Clock. All work runs one task at a time, in order.
 */
export class LogMaintenance {
  private readonly compactor: LogCompactor;
  private readonly retention: LogRetention;
  private readonly clock: Clock;
  private work: Promise<void> = Promise.resolve();
  private stopped = false;
  private cancelTimer: () => void = () => undefined;
  private unsubscribe: () => void = () => undefined;

  constructor(private readonly o: LogMaintenanceOptions) {
    this.compactor = new LogCompactor(o.store);
    this.retention = new LogRetention(o.store, o.retention);
    this.clock = o.clock ?? o.store.clock;
  }

  start(): void {
    this.unsubscribe = this.o.events.on('job.finished', (e) => this.enqueue(() => this.compact(e.jobId)));
    this.enqueue(() => this.compactBacklog());
    this.enqueue(() => this.prune());
  }

  /** Resolves when every task queued so far is done (tests, shutdown). */
  idle(): Promise<void> {
    return this.work;
  }

  /** Stops taking work; waits for the task in progress (a compaction commits whole or not at all). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe();
    this.cancelTimer();
    await this.work;
  }

  private enqueue(task: () => Promise<void> | void): void {
    this.work = this.work.then(async () => {
      if (this.stopped) return;
      try {
        await task();
      } catch (err) {
        if (this.stopped) return;
        this.o.logger.error('log maintenance task failed', { error: err });
      }
    });
  }

  private async compact(jobId: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const r = await this.compactor.compactJob(jobId, () => this.stopped);
        if (r) this.o.logger.debug('job log compacted', { jobId, lines: r.lines, rawBytes: r.rawBytes, storedBytes: r.storedBytes });
        return;
      } catch (err) {
        // A line landed between reading and writing (compaction wrote nothing): read again.
        if (attempt < 3 && isHeliosError(err) && err.code === 'E_LOG_COMPACT_CHANGED') continue;
        throw err;
      }
    }
  }

  private async compactBacklog(): Promise<void> {
    let lastReport = this.clock.now();
    const every = this.o.progressEveryMs ?? 5000;
    const line = (p: BacklogProgress) => ({ jobs: `${p.done}/${p.total}`, rawMB: Math.round(p.rawBytes / MB), storedMB: Math.round(p.storedBytes / MB) });
    const result = await this.compactor.compactBacklog(
      (p) => {
        if (p.done === 0) this.o.logger.info('compacting the logs of finished jobs stored as lines', { jobs: p.total });
        else if (p.done < p.total && this.clock.now() - lastReport >= every) {
          lastReport = this.clock.now();
          this.o.logger.info('log compaction progress', line(p));
        }
      },
      () => this.stopped,
      (jobId, err) => {
        if (!this.stopped) this.o.logger.error('compacting a job log failed; it stays as lines and is tried again at the next start', { jobId, error: err });
      },
    );
    if (result.done > 0) this.o.logger.info('log compaction done', line(result));
  }

  private prune(): void {
    const removed = this.retention.prune();
    if (removed.length) {
      this.o.logger.info('job logs removed by retention', { jobs: removed.length, storedBytes: removed.reduce((n, d) => n + d.storedBytes, 0) });
    }
    if (!this.stopped) this.cancelTimer = this.clock.setTimer(this.o.pruneIntervalMs, () => this.enqueue(() => this.prune()));
  }
}
