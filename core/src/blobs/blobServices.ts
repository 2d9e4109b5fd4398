import type { Logger, Storage } from '@helios-ci/sdk';
import type { Clock } from '../clock/clock.js';
import type { HeliosConfig } from '../kernel/config/schema.js';
import type { Store } from '../store/index.js';
import { Artifacts, type ArtifactSettings } from './artifacts.js';
import { Caches, type CacheSettings } from './caches.js';
import { StorageHousekeeping } from './housekeeping.js';
import { RunBlobs } from './jobBlobs.js';

export interface BlobSettings {
  caches: CacheSettings;
  artifacts: ArtifactSettings;
  defaultBranch: string;
  housekeepingIntervalMs: number;
}

/** The settings from helios.yaml (limits.maxCacheEntryBytes, caches.*, artifacts.*). */
export function blobSettingsFrom(config: Pick<HeliosConfig, 'limits' | 'caches' | 'artifacts'>): BlobSettings {
  return {
    caches: { maxEntryBytes: config.limits.maxCacheEntryBytes, maxBytesPerRepository: config.caches.maxBytesPerRepository, maxIdleDays: config.caches.maxIdleDays },
    artifacts: { maxBytes: config.limits.maxArtifactBytes, retentionDays: config.artifacts.retentionDays, maxRetentionDays: config.artifacts.maxRetentionDays },
    defaultBranch: config.caches.defaultBranch,
    housekeepingIntervalMs: config.caches.housekeepingIntervalMinutes * 60_000,
  };
}

/** Caches, artifacts, their housekeeping and the agent RPCs' view, over one Storage and the store. */
export class BlobServices {
  readonly artifacts: Artifacts;
  readonly housekeeping: StorageHousekeeping;
  readonly jobBlobs: RunBlobs;
  private openedCaches: Caches | null = null;
  private openedCacheStore: Store | null = null;

  /**
   * `openCacheStore`: the cache index in a store of its own, opened at the first cache use (helios
   * run: one that outlives the run, and a run that uses no cache leaves no file behind).
   */
  constructor(private readonly o: { store: Store; storage: Storage; settings: BlobSettings; logger: Logger; clock?: Clock; openCacheStore?: () => Store }) {
    if (!o.openCacheStore) this.openedCacheStore = o.store;
    this.artifacts = new Artifacts({ store: o.store, storage: o.storage, settings: o.settings.artifacts, logger: o.logger });
    this.housekeeping = new StorageHousekeeping({
      caches: () => (this.openedCacheStore ? this.caches : null),
      artifacts: this.artifacts,
      ...(o.storage.prunePrepared ? { prunePrepared: (now: number) => o.storage.prunePrepared!(now) } : {}),
      clock: o.clock ?? o.store.clock,
      intervalMs: o.settings.housekeepingIntervalMs,
      logger: o.logger,
    });
    this.jobBlobs = new RunBlobs({ store: o.store, caches: () => this.caches, artifacts: this.artifacts, defaultBranch: o.settings.defaultBranch });
  }

  get caches(): Caches {
    this.openedCaches ??= new Caches({ store: this.cacheStore, storage: this.o.storage, settings: this.o.settings.caches, logger: this.o.logger, onSaved: (repo) => this.housekeeping.afterSave(repo) });
    return this.openedCaches;
  }

  /** The store holding the cache index (opening it if it lives apart). */
  get cacheStore(): Store {
    this.openedCacheStore ??= this.o.openCacheStore!();
    return this.openedCacheStore;
  }

  /** Closes the cache index if it lives apart from the main store and was opened. */
  closeCacheStore(): void {
    if (this.openedCacheStore && this.openedCacheStore !== this.o.store) this.openedCacheStore.close();
  }
}
