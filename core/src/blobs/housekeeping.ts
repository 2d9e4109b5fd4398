import type { Logger } from '@helios-ci/sdk';
import type { Clock } from '../clock/clock.js';
import type { Artifacts } from './artifacts.js';
import type { Caches } from './caches.js';

/**
 * Cache eviction and artifact retention on the kernel clock: every `intervalMs`, and for one
 * repository after each cache save. Passes never overlap (one chain of promises), so two evictions
 * cannot both count a repository's bytes and remove twice as much.
 */
export class StorageHousekeeping {
  private cancelTimer: (() => void) | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private stopped = true;

  constructor(
    /** `caches`: null while the cache index is not open (nothing to evict). */
    private readonly o: { caches: () => Caches | null; artifacts: Artifacts; clock: Clock; intervalMs: number; logger: Logger },
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.arm();
  }

  /** No further passes; resolves when the running one (if any) finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelTimer = null;
    await this.chain;
  }

  /** A full pass (every repository's caches, all expired artifacts), queued behind any running one. */
  runNow(): Promise<void> {
    return this.enqueue(async () => {
      await this.o.caches()?.evict();
      await this.o.artifacts.expire();
    });
  }

  /** After a save: that repository's eviction. */
  afterSave(repo: string): void {
    void this.enqueue(async () => {
      await this.o.caches()?.evict(repo);
    });
  }

  /** Settles when every queued pass has run (tests). */
  async idle(): Promise<void> {
    await this.chain;
  }

  private enqueue(pass: () => Promise<void>): Promise<void> {
    const next = this.chain.then(pass).catch((err: unknown) => this.o.logger.error('storage housekeeping failed', { error: err }));
    this.chain = next;
    return next;
  }

  private arm(): void {
    this.cancelTimer = this.o.clock.setTimer(this.o.intervalMs, () => {
      if (this.stopped) return;
      void this.runNow().finally(() => {
        if (!this.stopped) this.arm();
      });
    });
  }
}
