import type { Logger, PrunedPrepared } from '@helios-ci/sdk';
import type { Clock } from '../clock/clock.js';
import type { Artifacts } from './artifacts.js';
import type { Caches } from './caches.js';

/**
 * Cache eviction, artifact retention and the storage's own expiry of prepared images
 * (Storage.prunePrepared) on the kernel clock: every `intervalMs`, and for one repository after each
 * cache save. Passes never overlap (one chain of promises), so two evictions cannot both count a
 * repository's bytes and remove twice as much.
 */
export class StorageHousekeeping {
  private cancelTimer: (() => void) | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private stopped = true;

  constructor(
    /** `caches`: null while the cache index is not open (nothing to evict). */
    private readonly o: {
      caches: () => Caches | null;
      artifacts: Artifacts;
      /** The storage's Storage.prunePrepared, when it has one. */
      prunePrepared?: (now: number) => Promise<PrunedPrepared>;
      clock: Clock;
      intervalMs: number;
      logger: Logger;
    },
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

  /** A full pass (every repository's caches, all expired artifacts, expired prepared images), queued behind any running one. */
  runNow(): Promise<void> {
    return this.enqueue(async () => {
      await this.o.caches()?.evict();
      await this.o.artifacts.expire();
      await this.prunePrepared();
    });
  }

  private async prunePrepared(): Promise<void> {
    if (!this.o.prunePrepared) return;
    const { removed, inUse } = await this.o.prunePrepared(this.o.clock.now());
    if (removed.length) this.o.logger.info('expired prepared images removed', { count: removed.length, removed });
    if (inUse.length) this.o.logger.info('expired prepared images still in use by a job; retried on the next pass', { inUse });
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
