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
  readonly caches: Caches;
  readonly artifacts: Artifacts;
  readonly housekeeping: StorageHousekeeping;
  readonly jobBlobs: RunBlobs;

  constructor(o: { store: Store; storage: Storage; settings: BlobSettings; logger: Logger; clock?: Clock }) {
    this.artifacts = new Artifacts({ store: o.store, storage: o.storage, settings: o.settings.artifacts, logger: o.logger });
    this.caches = new Caches({ store: o.store, storage: o.storage, settings: o.settings.caches, logger: o.logger, onSaved: (repo) => this.housekeeping.afterSave(repo) });
    this.housekeeping = new StorageHousekeeping({ caches: this.caches, artifacts: this.artifacts, clock: o.clock ?? o.store.clock, intervalMs: o.settings.housekeepingIntervalMs, logger: o.logger });
    this.jobBlobs = new RunBlobs({ store: o.store, caches: this.caches, artifacts: this.artifacts, defaultBranch: o.settings.defaultBranch });
  }
}
