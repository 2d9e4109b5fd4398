import type { Store } from '../store.js';

/** limits.logRetentionDays and limits.maxLogBytesPerRepository; 0 turns either off. */
export interface LogRetentionPolicy {
  /** Logs of jobs that finished more than this many days ago are removed. */
  maxAgeDays: number;
  /** Compressed log bytes kept per repository; past it the oldest logs go first. */
  maxBytesPerRepository: number;
}

export interface PruneDecision {
  jobId: string;
  repoKey: string;
  finishedAt: number;
  storedBytes: number;
  reason: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let u = 0;
  while (n >= 1024 && u < units.length - 1) {
    n /= 1024;
    u++;
  }
  return `${u === 0 ? n : n.toFixed(n < 10 ? 1 : 0)} ${units[u]}`;
}

/**
 * Removes compacted job logs by age and by a per-repository size budget, oldest first. Only
 * compacted (finished) logs are candidates: a live job's log is never touched. A removed log keeps
 * its archive row with the date and reason, so every view of it says "log removed by retention on
 * <date>" instead of showing an empty log. Each removal is its own transaction.
 */
export class LogRetention {
  constructor(
    private readonly store: Store,
    private readonly policy: LogRetentionPolicy,
  ) {}

  /** What a prune at `now` would remove, oldest first, with the reason for each. */
  plan(now: number = this.store.clock.now()): PruneDecision[] {
    const chunks = this.store.logChunks;
    if (!chunks.available()) return [];
    const chosen = new Map<string, PruneDecision>();
    const { maxAgeDays, maxBytesPerRepository } = this.policy;
    if (maxAgeDays > 0) {
      for (const a of chunks.keptFinishedBefore(now - maxAgeDays * DAY_MS)) {
        chosen.set(a.jobId, { jobId: a.jobId, repoKey: a.repoKey, finishedAt: a.finishedAt, storedBytes: a.storedBytes, reason: `older than ${maxAgeDays} days` });
      }
    }
    if (maxBytesPerRepository > 0) {
      for (const repo of chunks.reposOver(maxBytesPerRepository)) {
        let total = repo.storedBytes;
        for (const a of chunks.keptOf(repo.repoKey)) {
          if (total <= maxBytesPerRepository) break;
          total -= a.storedBytes;
          if (!chosen.has(a.jobId)) {
            chosen.set(a.jobId, {
              jobId: a.jobId,
              repoKey: a.repoKey,
              finishedAt: a.finishedAt,
              storedBytes: a.storedBytes,
              reason: `repository logs over limits.maxLogBytesPerRepository (${formatBytes(maxBytesPerRepository)})`,
            });
          }
        }
      }
    }
    return [...chosen.values()].sort((a, b) => a.finishedAt - b.finishedAt || a.jobId.localeCompare(b.jobId));
  }

  /** Removes what `plan` names (nothing with `dryRun`); returns it. */
  prune(options: { dryRun?: boolean; now?: number } = {}): PruneDecision[] {
    const now = options.now ?? this.store.clock.now();
    const decisions = this.plan(now);
    if (options.dryRun) return decisions;
    for (const d of decisions) {
      this.store.transaction(() => {
        this.store.logChunks.prune(d.jobId, now, d.reason);
        // Lines written after the compaction (late system lines) go with the rest.
        this.store.logs.deleteThrough(d.jobId, Number.MAX_SAFE_INTEGER);
      });
      this.store.logReader.forget(d.jobId);
    }
    return decisions;
  }
}
