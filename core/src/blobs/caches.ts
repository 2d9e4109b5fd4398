/**
 * actions/cache on the kernel side: the index (store.caches) and the bytes (Storage blobs of kind
 * `cache`). The order of writes is what makes it crash safe: the blob is committed first (atomic in
 * the Storage contract), the index row second. A crash between them leaves a blob no row
 * references, which the storage reconciler removes at the next start; a reader never finds a row
 * without its bytes. Removal goes the other way: row first, then the blob.
 */
import { HeliosError, type Logger, type Storage } from '@helios-ci/sdk';
import type { CacheEntryRecord, Store } from '../store/index.js';
import { drain, formatBytes, limitBytes } from './byteLimit.js';
import type { CacheScopes } from './cacheScopes.js';
import { checkCacheKey, checkCacheKeys, checkCacheVersion } from './names.js';

export interface CacheSettings {
  /** limits.maxCacheEntryBytes */
  maxEntryBytes: number;
  /** caches.maxBytesPerRepository */
  maxBytesPerRepository: number;
  /** caches.maxIdleDays */
  maxIdleDays: number;
}

export interface CacheSaveResult {
  size: number;
  stored: boolean;
  /** Why nothing was kept; empty when stored. */
  reason: string;
}

export interface CacheMatch {
  entry: CacheEntryRecord;
  /** The matched key is the primary key (actions/cache's `cache-hit`). */
  exact: boolean;
}

const DAY_MS = 86_400_000;
const BATCH = 500;

export class Caches {
  constructor(
    private readonly o: {
      store: Store;
      storage: Storage;
      settings: CacheSettings;
      logger: Logger;
      /** Told after every stored entry (housekeeping evicts that repository). */
      onSaved?: (repo: string) => void;
    },
  ) {}

  /**
   * Saves an upload as the entry (key, version) in the run's own scope. An entry that exists is
   * never replaced: the upload is read to its end and discarded, and the answer says why.
   */
  async save(scopes: CacheScopes, input: { jobId: string; key: string; version: string; data: AsyncIterable<Uint8Array> }): Promise<CacheSaveResult> {
    checkCacheKey(input.key);
    checkCacheVersion(input.version);
    const { store, storage, settings } = this.o;
    const counted = { bytes: 0 };
    const tooLarge = () =>
      new HeliosError('E_CACHE_TOO_LARGE', `cache entry ${input.key} is over ${formatBytes(settings.maxEntryBytes)} (limits.maxCacheEntryBytes); nothing was saved — cache less, or raise the limit`, {
        facts: { limit: settings.maxEntryBytes },
      });
    const data = limitBytes(input.data, settings.maxEntryBytes, tooLarge, counted);
    const where = { repo: scopes.repo, scope: scopes.write, trusted: [scopes.trusted], version: input.version };
    if (store.caches.exact(where, input.key)) {
      await drain(data);
      return { size: counted.bytes, stored: false, reason: existsReason(input.key, scopes.write) };
    }
    const blob = await storage.writeBlob('cache', data, { jobId: input.jobId, group: scopes.repo });
    const entry = store.caches.insert({ repo: scopes.repo, scope: scopes.write, trusted: scopes.trusted, key: input.key, version: input.version, blobId: blob.id, size: blob.size });
    if (!entry) {
      // Another job saved the same key while this one uploaded: the first one stays.
      await this.removeBlob(blob.id);
      return { size: blob.size, stored: false, reason: existsReason(input.key, scopes.write) };
    }
    this.o.logger.info('cache entry saved', { repo: scopes.repo, scope: scopes.write, key: input.key, size: blob.size, trusted: scopes.trusted });
    this.o.onSaved?.(scopes.repo);
    return { size: blob.size, stored: true, reason: '' };
  }

  /**
   * The entry actions/cache restores: in each readable scope in turn, the primary key exactly, then
   * the primary key as a prefix, then each restore key as a prefix — the newest match — with the
   * same version. The match is marked used.
   */
  find(scopes: CacheScopes, asked: readonly string[], version: string): CacheMatch | null {
    // Blank restore-keys lines are dropped, as actions/cache's input parsing does; a blank primary key is an error.
    const keys = asked.filter((k, i) => i === 0 || k !== '');
    checkCacheKeys(keys);
    checkCacheVersion(version);
    const caches = this.o.store.caches;
    for (const read of scopes.read) {
      const where = { repo: scopes.repo, scope: read.scope, trusted: read.trusted, version };
      const exact = caches.exact(where, keys[0]!);
      const entry = exact ?? keys.map((k) => caches.newestWithPrefix(where, k)).find((e) => e !== undefined);
      if (!entry) continue;
      caches.touch(entry.id);
      return { entry, exact: entry.key === keys[0] };
    }
    return null;
  }

  /** The bytes of a matched entry; null when they vanished (evicted meanwhile). */
  read(entry: CacheEntryRecord): Promise<AsyncIterable<Uint8Array> | null> {
    return this.o.storage.readBlob(entry.blobId);
  }

  /**
   * Eviction: entries unused for maxIdleDays, then per repository the least recently used until
   * the repository fits maxBytesPerRepository. Returns what was removed.
   */
  async evict(repo?: string): Promise<CacheEntryRecord[]> {
    const { store, settings } = this.o;
    const removed: CacheEntryRecord[] = [];
    const cutoff = store.clock.now() - settings.maxIdleDays * DAY_MS;
    for (;;) {
      const idle = store.caches.idleSince(cutoff, BATCH, repo);
      if (idle.length === 0) break;
      for (const e of idle) if (await this.remove(e)) removed.push(e);
      if (idle.length < BATCH) break;
    }
    for (const usage of store.caches.usage()) {
      if (repo && usage.repo !== repo) continue;
      let bytes = usage.bytes;
      while (bytes > settings.maxBytesPerRepository) {
        const lru = store.caches.leastRecentlyUsed(usage.repo, BATCH);
        if (lru.length === 0) break;
        for (const e of lru) {
          if (bytes <= settings.maxBytesPerRepository) break;
          if (await this.remove(e)) removed.push(e);
          bytes -= e.size;
        }
      }
    }
    if (removed.length) this.o.logger.info('cache entries evicted', { count: removed.length, bytes: removed.reduce((n, e) => n + e.size, 0), ...(repo ? { repo } : {}) });
    return removed;
  }

  /** Removes every entry (of one repository): `helios cache prune --all`. */
  async removeAll(repo?: string): Promise<CacheEntryRecord[]> {
    const removed: CacheEntryRecord[] = [];
    for (const e of this.o.store.caches.list(repo)) if (await this.remove(e)) removed.push(e);
    return removed;
  }

  /** Row first, then the bytes; a blob whose removal fails is an orphan the reconciler removes later. */
  async remove(entry: CacheEntryRecord): Promise<boolean> {
    if (!this.o.store.caches.delete(entry.id)) return false;
    await this.removeBlob(entry.blobId);
    return true;
  }

  private async removeBlob(id: string): Promise<void> {
    try {
      await this.o.storage.remove({ id, kind: 'cache' });
    } catch (err) {
      this.o.logger.warn('removing a cache blob failed; the storage reconciler removes it at the next start', { blob: id, error: err });
    }
  }
}

function existsReason(key: string, scope: string): string {
  return `Unable to reserve cache with key ${key}, another job may be creating this cache. (An entry with this key and version already exists in ${scope}; cache entries are immutable — change the key to save a new one.)`;
}
